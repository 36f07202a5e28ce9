// Two fleets on one queue, neither named: refused at construction.
import { App, TerraformStack } from 'cdktf';
import { Broker, WorkQueueWorker } from 'workqueue';

const stack = new TerraformStack(new App(), 'jobs');
const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
new WorkQueueWorker(stack, 'small', { queue: 'jobs', broker });
new WorkQueueWorker(stack, 'gpu', { queue: 'jobs', broker });
