import { App } from 'aws-cdk-lib';
import { CommStack } from '../lib/comm-stack.js';
import { readStackName } from '../lib/config.js';

const app = new App();
const stackName = readStackName(app.node);

// Pin the environment only when the CLI resolved both parts. Otherwise the
// stack stays environment-agnostic, and synth needs no AWS lookups.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const env = account && region ? { account, region } : undefined;

new CommStack(app, stackName, { stackName, env });
