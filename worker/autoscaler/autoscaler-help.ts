import { DEFAULT_URL } from '../consumer/options';
import { DOCKER_SOCKET } from './docker-engine';
import { DEFAULT_ACTIVATION, DEFAULT_COOLDOWN_SECONDS, DEFAULT_INTERVAL_SECONDS } from './autoscaler-options';

export const AUTOSCALER_HELP = `Usage: workqueue-autoscaler -q QUEUE --messages-per-instance N --max N [options]
                            (--app ID [--marathon URL] | --swarm-service NAME)

Scales one fleet of workers on the depth of its queue, by KEDA's rule, where KEDA is not
(Marathon, Docker Swarm). Every --interval seconds it reads the queue's depth and sets the
fleet's instance count to

  desired = ceil(depth / --messages-per-instance), within --min..--max

A fleet at 0 starts only when the depth is above --activation. When the depth has stayed at or
below --activation for --cooldown seconds, the fleet goes down to --min. A scale-down never goes
below the highest count wanted over the last --stabilization seconds, so a depth that comes and
goes does not make the fleet flap. At most one scaling call per evaluation; each evaluation is
one log line: depth, current, desired and why.

Options:
  -u, --url URL              amqp:// or amqps:// broker URL (default: $AMQP_URL, else ${DEFAULT_URL});
                             a cluster: every node's URL, by repeating -u or comma-separated
  -b, --broker NAME          find the broker by name, as workqueue-worker does (Marathon app via
                             $MARATHON_URL, Mesos-DNS SRV, else host NAME:5672); login from -u;
                             repeat for every node of a cluster
  -q, --queue NAME           the queue whose depth scales the fleet (required)
      --management URL       RabbitMQ management API (http[s]://[user:password@]host:port); the
                             depth is then ready + unacked messages; without it, or when it does
                             not answer, the ready messages of a passive declare (user and
                             password: the URL's own, else the broker URL's)
      --messages-per-instance N
                             messages one instance is meant to have (required)
      --min N                fewest instances (default: 0)
      --max N                most instances (required)
      --activation N         a fleet at 0 starts only above this depth (default: ${DEFAULT_ACTIVATION})
      --cooldown SECONDS     idle this long before going down to --min (default: ${DEFAULT_COOLDOWN_SECONDS})
      --stabilization SEC    a scale-down keeps the highest count wanted this long (default: the
                             --cooldown)
      --interval SECONDS     time between evaluations (default: ${DEFAULT_INTERVAL_SECONDS})
      --app ID               scale Marathon app ID (PUT /v2/apps/ID {"instances": N}); never
                             forced: a deployment that locks the app is waited out
      --marathon URL         Marathon's URL (default: $MARATHON_URL); a password in its
                             user:password@, or a token in $MARATHON_TOKEN
      --swarm-service NAME   scale Docker Swarm service NAME through the Docker engine's socket
                             (${DOCKER_SOCKET}, or $DOCKER_HOST=unix://PATH); on a manager node
      --once                 evaluate once and exit: 0 when done, 1 when the broker or the
                             platform failed (for cron jobs); with nothing remembered it acts on
                             the depth it reads (cooldown and stabilization need a running one)
      --health-port PORT     serve GET /healthz (200 while the last evaluation succeeded) and
                             GET /metrics on this port
  -h, --help                 show this help

A running autoscaler that cannot read the depth or reach the platform logs it, counts it in
workqueue_autoscaler_errors_total and tries again at the next interval. Bad flags exit 2.

Examples:
  # Marathon: 1 instance per 50 messages, 0 to 10, idle for 5 minutes before going to 0
  MARATHON_URL=http://marathon.mesos:8080 AMQP_URL=amqp://worker:PASSWORD@broker:5672 \\
    workqueue-autoscaler -q jobs --messages-per-instance 50 --max 10 --app /jobs-worker

  # Swarm, on a manager node, depth with unacked messages from the management API
  workqueue-autoscaler -u amqp://worker:PASSWORD@broker -q jobs --management http://broker:15672 \\
    --messages-per-instance 50 --min 1 --max 4 --swarm-service jobs-worker --health-port 8080

  # One evaluation from cron: start only beyond 10 waiting messages
  workqueue-autoscaler -q jobs --messages-per-instance 100 --max 3 --activation 10 --app jobs-worker --once
`;
