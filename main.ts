import { App } from 'cdktf';
import { DefaultStack, defaultStackSettings } from './constructs';

const app = new App();
new DefaultStack(app, 'workqueue', defaultStackSettings(app));
app.synth();
