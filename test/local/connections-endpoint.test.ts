import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-local.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import type { TestSocket } from '../support/websocket.js';

const USER_AGENT = 'comm-test/1.0';

describe('@connections management endpoint', () => {
  let stack: TestStack;
  let client: ApiGatewayManagementApiClient;

  beforeAll(async () => {
    stack = await startTestStack();
    client = new ApiGatewayManagementApiClient({ endpoint: stack.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    await stack.stop();
  });

  /** Opens a socket for `userId` and returns it with its connection id, which ends in '=' and so is URL-encoded by the SDK. */
  async function connect(userId: string): Promise<{ socket: TestSocket; connectionId: string }> {
    const socket = await stack.openSocket({ token: stack.token(userId), headers: { 'user-agent': USER_AGENT } });
    const connection = [...stack.webSocket.connections.values()].find((candidate) => candidate.authorizer.userId === userId);
    return { socket, connectionId: connection!.context.connectionId };
  }

  it.each([
    ['a JSON frame', '{"type":"post.published","channel_id":"c-1","seq":1,"post_id":"p-1"}', { type: 'post.published', channel_id: 'c-1', seq: 1, post_id: 'p-1' }],
    ['a text frame', 'plain text', 'plain text'],
  ])('PostToConnection sends %s', async (_case, data, expected) => {
    const { socket, connectionId } = await connect(`post-${_case}`);

    const output = await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data) }));

    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(await socket.nextFrame()).toEqual(expected);
    await socket.close();
  });

  it('GetConnection describes the connection', async () => {
    const { socket, connectionId } = await connect('described');
    const connection = stack.webSocket.connections.get(connectionId)!;
    socket.send({ action: 'ping' });
    await socket.nextFrame();

    const output = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));

    expect(output.ConnectedAt).toEqual(new Date(connection.context.connectedAt));
    expect(output.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: USER_AGENT });
    expect(output.LastActiveAt).toEqual(new Date(connection.lastActiveAt));
    expect(connection.lastActiveAt).toBeGreaterThanOrEqual(connection.context.connectedAt);
    await socket.close();
  });

  it('DeleteConnection closes the socket', async () => {
    const { socket, connectionId } = await connect('deleted');

    const output = await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));

    expect(output.$metadata.httpStatusCode).toBe(204);
    expect(await socket.closed).toEqual({ code: 1000, reason: 'Connection deleted' });
    await waitFor(() => !stack.webSocket.connections.has(connectionId), { description: 'the connection to leave the server' });
    await expect(client.send(new GetConnectionCommand({ ConnectionId: connectionId }))).rejects.toBeInstanceOf(GoneException);
  });

  it.each([
    ['PostToConnection', (connectionId: string) => new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') })],
    ['GetConnection', (connectionId: string) => new GetConnectionCommand({ ConnectionId: connectionId })],
    ['DeleteConnection', (connectionId: string) => new DeleteConnectionCommand({ ConnectionId: connectionId })],
  ])('%s on an unknown id throws GoneException', async (_operation, command) => {
    const error = await client.send(command('AAAAAAAAAAAAAAA=') as never).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeInstanceOf(GoneException);
    expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    expect((error as GoneException).message).toBe('Gone');
  });

  it('PostToConnection after the client left throws GoneException', async () => {
    const { socket, connectionId } = await connect('gone-away');
    await socket.close();
    await waitFor(() => !stack.webSocket.connections.has(connectionId), { description: 'the connection to leave the server' });

    const sending = client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{}') }));

    await expect(sending).rejects.toBeInstanceOf(GoneException);
  });

  it('PostToConnection over 128 KB throws PayloadTooLargeException', async () => {
    const { socket, connectionId } = await connect('flooded');

    const sending = client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 'a') }));

    await expect(sending).rejects.toBeInstanceOf(PayloadTooLargeException);
    expect(socket.frames).toEqual([]);
    await socket.close();
  });

  it('rejects other methods with 405', async () => {
    const response = await fetch(`${stack.url}/@connections/AAAAAAAAAAAAAAA%3D`, { method: 'PUT' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, GET, DELETE');
    expect(await response.json()).toEqual({ message: 'Method PUT is not allowed on @connections. Use POST, GET or DELETE' });
  });
});
