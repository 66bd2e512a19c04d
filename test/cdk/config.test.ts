import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readCommSettings, readStackName } from '../../lib/config.js';

const VALID = {
  jwtIssuer: 'https://auth.test.example/',
  jwtAudience: 'test-audience',
  jwtJwksUri: 'https://auth.test.example/.well-known/jwks.json',
} as const;

function settingsFor(context: Record<string, unknown>): ReturnType<typeof readCommSettings> {
  return readCommSettings(new App({ context }).node);
}

describe('readCommSettings', () => {
  it('applies defaults to absent keys', () => {
    const settings = settingsFor(VALID);

    expect(settings).toEqual({
      jwtIssuer: 'https://auth.test.example/',
      jwtAudience: ['test-audience'],
      jwtJwksUri: 'https://auth.test.example/.well-known/jwks.json',
      roleClaim: 'cognito:groups',
      adminGroup: 'comm-admin',
      moderatorGroup: 'comm-moderator',
      accessProviderUrl: undefined,
      accessProviderTimeoutMs: 1000,
      accessProviderCacheSeconds: 30,
      corsAllowedOrigins: [],
      throttleRateLimit: 100,
      throttleBurstLimit: 200,
      logRetentionDays: 30,
      webSocketStageName: 'live',
      webSocketAllowedOrigins: [],
      mediaAllowedTypes: [
        'image/jpeg',
        'image/png',
        'image/gif',
        'image/webp',
        'video/mp4',
        'audio/mpeg',
        'audio/mp4',
        'application/pdf',
      ],
      mediaMaxUploadBytes: 52428800,
      mediaUrlSeconds: 60,
      mediaUploadUrlSeconds: 900,
      mediaUploadOrigins: [],
      mediaNoncurrentVersionDays: 30,
      forumEditWindowHours: 48,
      forumRateLimitMessages: 10,
      forumRateLimitWindowSeconds: 60,
    });
  });

  it('parses the string forms that -c passes', () => {
    const settings = settingsFor({
      ...VALID,
      jwtAudience: '["mobile","admin"]',
      corsAllowedOrigins: 'https://a.example.com, https://b.example.com',
      accessProviderTimeoutMs: '2500',
      accessProviderCacheSeconds: '5',
      throttleRateLimit: '12.5',
      throttleBurstLimit: '40',
      logRetentionDays: '90',
      webSocketAllowedOrigins: 'https://a.example.com,http://localhost:5173',
      mediaAllowedTypes: 'image/png, Video/MP4',
      mediaMaxUploadBytes: '1048576',
      mediaUrlSeconds: '300',
      mediaUploadUrlSeconds: '3600',
      mediaUploadOrigins: '["https://admin.example.com"]',
      mediaNoncurrentVersionDays: '7',
      forumEditWindowHours: '24',
      forumRateLimitMessages: '0',
      forumRateLimitWindowSeconds: '300',
    });

    expect(settings.jwtAudience).toEqual(['mobile', 'admin']);
    expect(settings.corsAllowedOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(settings.accessProviderTimeoutMs).toBe(2500);
    expect(settings.accessProviderCacheSeconds).toBe(5);
    expect(settings.throttleRateLimit).toBe(12.5);
    expect(settings.throttleBurstLimit).toBe(40);
    expect(settings.logRetentionDays).toBe(90);
    expect(settings.webSocketAllowedOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(settings.mediaAllowedTypes).toEqual(['image/png', 'video/mp4']);
    expect(settings.mediaMaxUploadBytes).toBe(1048576);
    expect(settings.mediaUrlSeconds).toBe(300);
    expect(settings.mediaUploadUrlSeconds).toBe(3600);
    expect(settings.mediaUploadOrigins).toEqual(['https://admin.example.com']);
    expect(settings.mediaNoncurrentVersionDays).toBe(7);
    expect(settings.forumEditWindowHours).toBe(24);
    expect(settings.forumRateLimitMessages).toBe(0);
    expect(settings.forumRateLimitWindowSeconds).toBe(300);
  });

  it('accepts the largest single-PUT upload', () => {
    const settings = settingsFor({ ...VALID, mediaMaxUploadBytes: 5368709120 });

    expect(settings.mediaMaxUploadBytes).toBe(5368709120);
  });

  it('takes the WebSocket stage name', () => {
    const settings = settingsFor({ ...VALID, webSocketStageName: 'beta_2' });

    expect(settings.webSocketStageName).toBe('beta_2');
  });

  it('accepts a lone CORS wildcard', () => {
    const settings = settingsFor({ ...VALID, corsAllowedOrigins: ['*'] });

    expect(settings.corsAllowedOrigins).toEqual(['*']);
  });

  it('reports a missing issuer, audience and JWKS URI', () => {
    const read = () => settingsFor({});

    expect(read).toThrowError(
      [
        'Invalid CDK context for the communication layer stack:',
        '  - "jwtIssuer" is missing: expected an https URL.',
        '  - "jwtAudience" is missing: expected a string or an array of strings.',
        '  - "jwtJwksUri" is missing: expected an https URL.',
        'Set each key under "context" in cdk.json or pass -c KEY=VALUE to cdk.',
      ].join('\n'),
    );
  });

  it.each([
    ['jwtIssuer', 'http://auth.example.com', '"jwtIssuer" must be an https URL without query or fragment, got "http://auth.example.com".'],
    ['jwtIssuer', 'auth.example.com', '"jwtIssuer" must be an https URL without query or fragment, got "auth.example.com".'],
    ['jwtIssuer', 'https://auth.example.com/?x=1', '"jwtIssuer" must be an https URL without query or fragment, got "https://auth.example.com/?x=1".'],
    ['jwtAudience', [], '"jwtAudience" must be a non-empty string or a non-empty array of non-empty strings, got [].'],
    ['jwtAudience', ['ok', ''], '"jwtAudience" must be a non-empty string or a non-empty array of non-empty strings, got ["ok",""].'],
    ['roleClaim', '', '"roleClaim" must be a non-empty string, got "".'],
    ['adminGroup', 7, '"adminGroup" must be a non-empty string, got 7.'],
    ['accessProviderUrl', 'http://access.example.com', '"accessProviderUrl" must be an https URL without query or fragment, got "http://access.example.com".'],
    ['accessProviderTimeoutMs', 0, '"accessProviderTimeoutMs" must be an integer from 1 to 9999, got 0.'],
    ['accessProviderTimeoutMs', 10000, '"accessProviderTimeoutMs" must be an integer from 1 to 9999, got 10000.'],
    ['accessProviderTimeoutMs', 1.5, '"accessProviderTimeoutMs" must be an integer from 1 to 9999, got 1.5.'],
    ['accessProviderTimeoutMs', '-5', '"accessProviderTimeoutMs" must be an integer from 1 to 9999, got "-5".'],
    ['accessProviderCacheSeconds', 0, '"accessProviderCacheSeconds" must be an integer at least 1, got 0.'],
    ['throttleRateLimit', 0, '"throttleRateLimit" must be a number greater than 0, got 0.'],
    ['throttleBurstLimit', 'many', '"throttleBurstLimit" must be an integer at least 1, got "many".'],
    ['corsAllowedOrigins', ['https://app.example.com/'], '"corsAllowedOrigins" must be either ["*"] or a list of origins'],
    ['corsAllowedOrigins', ['http://app.example.com'], '"corsAllowedOrigins" must be either ["*"] or a list of origins'],
    ['corsAllowedOrigins', ['*', 'https://app.example.com'], '"corsAllowedOrigins" must be either ["*"] or a list of origins'],
    ['logRetentionDays', 10, '"logRetentionDays" must be a CloudWatch Logs retention in days, one of 1, 3, 5, 7, 14, 30,'],
    ['jwtJwksUri', 'http://auth.example.com/jwks.json', '"jwtJwksUri" must be an https URL without query or fragment, got "http://auth.example.com/jwks.json".'],
    ['jwtJwksUri', '', '"jwtJwksUri" must be an https URL without query or fragment, got "".'],
    ['webSocketStageName', '$default', '"webSocketStageName" must be a stage name of 1 to 128 letters, digits, hyphens or underscores, got "$default".'],
    ['webSocketStageName', 'live/v2', '"webSocketStageName" must be a stage name of 1 to 128 letters, digits, hyphens or underscores, got "live/v2".'],
    ['webSocketStageName', 'x'.repeat(129), `"webSocketStageName" must be a stage name of 1 to 128 letters, digits, hyphens or underscores, got "${'x'.repeat(129)}".`],
    [
      'webSocketAllowedOrigins',
      ['*'],
      '"webSocketAllowedOrigins" must be a list of origins such as "https://app.example.com" (scheme, host and optional port, no path or trailing slash; http only for localhost) without "*" (leave the key unset to allow any origin), got ["*"].',
    ],
    ['webSocketAllowedOrigins', ['https://app.example.com/path'], '"webSocketAllowedOrigins" must be a list of origins such as "https://app.example.com"'],
    ['mediaAllowedTypes', [], '"mediaAllowedTypes" must be a non-empty list of content types such as "image/png", without parameters, got [].'],
    ['mediaAllowedTypes', ['image'], '"mediaAllowedTypes" must be a non-empty list of content types such as "image/png", without parameters, got ["image"].'],
    [
      'mediaAllowedTypes',
      ['text/plain; charset=utf-8'],
      '"mediaAllowedTypes" must be a non-empty list of content types such as "image/png", without parameters, got ["text/plain; charset=utf-8"].',
    ],
    ['mediaAllowedTypes', 5, '"mediaAllowedTypes" must be a non-empty list of content types such as "image/png", without parameters, got 5.'],
    ['mediaMaxUploadBytes', 0, '"mediaMaxUploadBytes" must be an integer from 1 to 5368709120, got 0.'],
    ['mediaMaxUploadBytes', 5368709121, '"mediaMaxUploadBytes" must be an integer from 1 to 5368709120, got 5368709121.'],
    ['mediaUrlSeconds', 0, '"mediaUrlSeconds" must be an integer from 1 to 300, got 0.'],
    ['mediaUrlSeconds', 301, '"mediaUrlSeconds" must be an integer from 1 to 300, got 301.'],
    ['mediaUrlSeconds', '301', '"mediaUrlSeconds" must be an integer from 1 to 300, got "301".'],
    ['mediaUploadUrlSeconds', 0, '"mediaUploadUrlSeconds" must be an integer from 1 to 604800, got 0.'],
    ['mediaUploadUrlSeconds', 604801, '"mediaUploadUrlSeconds" must be an integer from 1 to 604800, got 604801.'],
    ['mediaUploadOrigins', ['https://admin.example.com/upload'], '"mediaUploadOrigins" must be either ["*"] or a list of origins'],
    ['mediaNoncurrentVersionDays', 0, '"mediaNoncurrentVersionDays" must be an integer at least 1, got 0.'],
    ['forumEditWindowHours', 0, '"forumEditWindowHours" must be an integer at least 1, got 0.'],
    ['forumEditWindowHours', 1.5, '"forumEditWindowHours" must be an integer at least 1, got 1.5.'],
    ['forumEditWindowHours', '48h', '"forumEditWindowHours" must be an integer at least 1, got "48h".'],
    ['forumRateLimitMessages', -1, '"forumRateLimitMessages" must be an integer at least 0, got -1.'],
    ['forumRateLimitMessages', 'ten', '"forumRateLimitMessages" must be an integer at least 0, got "ten".'],
    ['forumRateLimitWindowSeconds', 0, '"forumRateLimitWindowSeconds" must be an integer at least 1, got 0.'],
    ['forumRateLimitWindowSeconds', '-60', '"forumRateLimitWindowSeconds" must be an integer at least 1, got "-60".'],
  ])('rejects %s = %j', (key, value, expectedProblem) => {
    const read = () => settingsFor({ ...VALID, [key]: value });

    expect(read).toThrowError(`  - ${expectedProblem}`);
  });

  it('lists every invalid key in one error', () => {
    const read = () => settingsFor({ ...VALID, jwtIssuer: 'http://x', throttleBurstLimit: 0 });

    expect(read).toThrowError(
      [
        'Invalid CDK context for the communication layer stack:',
        '  - "jwtIssuer" must be an https URL without query or fragment, got "http://x".',
        '  - "throttleBurstLimit" must be an integer at least 1, got 0.',
        'Set each key under "context" in cdk.json or pass -c KEY=VALUE to cdk.',
      ].join('\n'),
    );
  });
});

describe('readStackName', () => {
  it('defaults to CommLayer', () => {
    const name = readStackName(new App().node);

    expect(name).toBe('CommLayer');
  });

  it('takes the stackName context', () => {
    const name = readStackName(new App({ context: { stackName: 'CommStaging' } }).node);

    expect(name).toBe('CommStaging');
  });

  it.each(['1stack', 'comm_layer', ''])('rejects %j', (stackName) => {
    const read = () => readStackName(new App({ context: { stackName } }).node);

    expect(read).toThrowError(
      `Invalid CDK context "stackName": expected a CloudFormation stack name (a letter, then up to 127 letters, digits or hyphens), got ${JSON.stringify(stackName)}. Pass -c stackName=NAME or set it under "context" in cdk.json.`,
    );
  });
});
