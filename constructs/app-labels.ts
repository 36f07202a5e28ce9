/**
 * Labels the constructs put on every Marathon app, by which the `workqueue` CLI tells the apps of a
 * synthesized stack apart. No cdktf import here: the CLI bundles this file.
 */
export const COMPONENT_LABEL = 'workqueue.component';
export const QUEUE_LABEL = 'workqueue.queue';
