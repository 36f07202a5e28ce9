// A user's stack: their own Docker provider (declared after the constructs, under the id they would
// pick), one broker and two fleets on one queue, the second named.
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Broker, WorkQueueWorker } from 'workqueue';

class JobsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const broker = new Broker(this, 'broker', { queues: ['jobs'] });
    new WorkQueueWorker(this, 'small', { queue: 'jobs', broker });
    new WorkQueueWorker(this, 'gpu', { queue: 'jobs', broker, name: 'jobs-gpu', packages: ['curl'] });
    new DockerProvider(this, 'docker', { host: 'unix:///run/user/1000/docker.sock' });
  }
}

const app = new App();
new JobsStack(app, 'jobs');
app.synth();
