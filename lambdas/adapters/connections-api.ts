import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

/** Sends frames to WebSocket connections through API Gateway's `@connections` API. */
export interface ConnectionsApi {
  /** Returns 'gone' when the connection no longer exists (410); throws on any other failure. */
  send(connectionId: string, frame: unknown): Promise<'sent' | 'gone'>;
}

export class ManagementApiConnections implements ConnectionsApi {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async send(connectionId: string, frame: unknown): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }));
      return 'sent';
    } catch (error) {
      const gone = error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;
      if (gone) return 'gone';
      throw error;
    }
  }
}
