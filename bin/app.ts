import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CommStack } from '../lib/comm-stack.js';
import { readStackName } from '../lib/config.js';
import { acknowledgeNagFindings } from '../lib/nag-suppressions.js';

const app = new App();
const stackName = readStackName(app.node);

// Pin the environment only when the CLI resolved both parts. Otherwise the
// stack stays environment-agnostic, and synth needs no AWS lookups.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const env = account && region ? { account, region } : undefined;

const stack = new CommStack(app, stackName, { stackName, env });

// The AwsSolutions checks run at synthesis, and any finding not acknowledged
// in nag-suppressions.ts fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
acknowledgeNagFindings(stack);
