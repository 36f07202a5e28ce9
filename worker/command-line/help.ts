import {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SHUTDOWN_GRACE_SECONDS,
  DEFAULT_URL,
} from '../consumer/options';
import { WITHHELD_VARIABLES } from '../process/program-env';

/** The credentials programs do not see, as one phrase: "A, B or a C". */
const WITHHELD = `${WITHHELD_VARIABLES.slice(0, -1).join(', ')} or a ${WITHHELD_VARIABLES.at(-1)}`;

export const HELP = `Usage: workqueue-worker [options] [--] PROGRAM [ARGS...]
       workqueue-worker [options] --module FILE

Consumes a RabbitMQ queue and runs PROGRAM once per message, with the message body on its
standard input. Exit status 0 acks the message; anything else is a failed attempt: the
message goes back to the queue, and after --max-attempts failures to the dead-letter queue.

Options:
  -u, --url URL              amqp:// or amqps:// broker URL (default: $AMQP_URL, else ${DEFAULT_URL})
                             A cluster: every node's URL, by repeating -u or as a comma-separated
                             list (amqp://node-a,amqp://node-b; $AMQP_URL too); each connection
                             goes to a random reachable node, after a lost link to another node
                             first
  -q, --queue NAME           queue to consume (required; declared durable if missing)
  -p, --prefetch-count N     messages the broker may send ahead (default: --concurrency;
                             64 x --concurrency with --persistent or --module)
  -c, --count N              handle N messages, then exit 0
      --concurrency N        programs running at once (default: number of CPUs)
      --timeout SECONDS      stop a program (TERM, then KILL) after this long; counts as failed
      --max-attempts N       failed attempts before dead-lettering (default: ${DEFAULT_MAX_ATTEMPTS}; 0 = retry forever)
      --retry-delay SECONDS  a failed message waits this long before its first retry, in a
                             delay queue QUEUE.retry.<ms> (declared if missing) that hands it
                             back to QUEUE; others are not held up meanwhile (default: 0 =
                             retry at once, at the tail of the queue)
      --retry-backoff F      the n-th retry waits --retry-delay x F^(n-1) (default: 2)
      --max-retry-delay SEC  longest retry delay (default: 3600); one delay queue per distinct
                             delay, at most 32
      --dead-letter-queue Q  where messages go when attempts run out (default: QUEUE.dlq)
      --shutdown-grace SEC   on SIGTERM/SIGINT, time running programs get to finish
                             (default: ${DEFAULT_SHUTDOWN_GRACE_SECONDS})
      --health-port PORT     serve GET /healthz and GET /metrics on this port
      --connect-timeout SEC  give up if the broker cannot be reached for this long
                             (default: ${DEFAULT_CONNECT_TIMEOUT_SECONDS})
  -b, --broker NAME          find the broker, again on every connection attempt: with
                             $MARATHON_URL every healthy task of Marathon app NAME, else every
                             target of the Mesos-DNS SRV record _NAME._tcp.marathon.mesos, else
                             host NAME port 5672 (NAME:PORT skips discovery); repeatable (one
                             name per node): all nodes found are picked from as with several -u;
                             user, password and vhost still come from --url or $AMQP_URL
      --persistent           PROGRAM starts once per --concurrency slot and stays up: one JSON
                             line per message on its stdin, {"id","body" (base64),"meta"}; it
                             answers {"id","ok":true} or {"id","ok":false,"error":"..."} per line
      --module FILE          in-process mode: no PROGRAM; FILE's default export
                             async (body, meta) => {...} handles each message (a throw fails it)
      --ca FILE              PEM CA that signed the broker's certificate (amqps://)
      --cert FILE, --key FILE
                             PEM client certificate and key, for brokers that require one
      --pass-env NAME        pass the worker's own credential NAME to programs (repeatable):
                             they do not see ${WITHHELD}
                             with a password unless named here
  -h, --help                 show this help
      --version              show the version

The program gets the message metadata in WQ_QUEUE, WQ_MESSAGE_ID, WQ_CORRELATION_ID,
WQ_CONTENT_TYPE, WQ_ROUTING_KEY, WQ_REDELIVERED, WQ_ATTEMPT (1-based) and WQ_HEADERS (JSON).
Its output lines are prefixed with the message id. It gets the worker's environment except the
worker's own credentials (see --pass-env). Delivery is at least once: a message whose
program finished while the broker link was down is delivered again.

Examples:
  # Save every message of queue 'jobs' to a file in /tmp
  workqueue-worker -u amqp://worker:PASSWORD@broker:5672 -q jobs -- process-message /tmp

  # Retry after 10 s, 20 s, 40 s, ... at most 10 minutes apart; dead-letter after 8 attempts
  workqueue-worker -q jobs --retry-delay 10 --max-retry-delay 600 --max-attempts 8 -- ./call-api.sh

  # Two programs at once, 10 minutes each at most, health checks on port 8080
  AMQP_URL=amqp://broker workqueue-worker -q jobs --concurrency 2 --timeout 600 --health-port 8080 -- ./handle.sh

  # On Marathon: discover the broker app's host and port, password from the environment
  MARATHON_URL=http://marathon.mesos:8080 AMQP_URL=amqp://worker:PASSWORD@unused \\
    workqueue-worker -b broker -q jobs -- process-message /tmp

  # A three-node cluster: any reachable node; when it is lost, another one
  workqueue-worker -u amqp://worker:PASSWORD@broker-0,amqp://worker:PASSWORD@broker-1 \\
    -u amqp://worker:PASSWORD@broker-2 -q jobs -- ./handle.sh

  # The same cluster on Marathon: one app per node
  MARATHON_URL=http://marathon.mesos:8080 AMQP_URL=amqp://worker:PASSWORD@unused \\
    workqueue-worker -b broker-0 -b broker-1 -b broker-2 -q jobs -- ./handle.sh

  # TLS with a private CA and a client certificate
  workqueue-worker -u amqps://worker:PASSWORD@broker:5671 --ca ca.pem --cert worker.pem --key worker.key -q jobs -- ./handle.sh

  # Persistent mode: four Python programs, each with up to 32 messages in flight
  workqueue-worker -q jobs --persistent --concurrency 4 -p 128 -- python3 handler.py

  # In-process handler: no process per message
  workqueue-worker -q jobs --concurrency 32 --module ./handler.js

  # A program that publishes results itself, with the worker's broker URL and password
  AMQP_URL=amqp://worker:PASSWORD@broker workqueue-worker -q jobs --pass-env AMQP_URL -- ./handle-and-forward.sh

  # Take 100 messages, print them, exit
  workqueue-worker -q jobs -c 100 -- cat
`;
