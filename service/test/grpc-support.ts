import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../src/grpc/proto';

type Loaded = {
  inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** What a unary call ended with: the response and trailing metadata, or the error status. */
export interface Answer<T = Record<string, unknown>> {
  response?: T;
  error?: grpc.ServiceError;
  trailers: Record<string, string>;
}

/** A real @grpc/grpc-js client of the service's own proto, the way a Node caller would build one. */
export class OipClient {
  readonly inference: grpc.Client & Record<string, grpc.MethodDefinition<unknown, unknown> | unknown>;
  readonly health: grpc.Client;

  constructor(target: string, options: grpc.ChannelOptions = {}) {
    const loaded = grpc.loadPackageDefinition(loadProtos()) as unknown as Loaded;
    const credentials = grpc.credentials.createInsecure();
    this.inference = new loaded.inference.GRPCInferenceService(target, credentials, options) as never;
    this.health = new loaded.grpc.health.v1.Health(target, credentials, options);
  }

  call<T = Record<string, unknown>>(
    method: string,
    request: unknown,
    metadata: Record<string, string> = {},
    options: grpc.CallOptions = {},
    client: grpc.Client = this.inference,
  ): Promise<Answer<T>> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise((resolve) => {
      let trailers: Record<string, string> = {};
      const fn = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method];
      const call = fn.call(client, request, md, options, (error: grpc.ServiceError | null, response?: T) =>
        // The status event (with the trailers) comes after the callback: wait for it.
        setImmediate(() => resolve(error ? { error, trailers } : { response, trailers })),
      );
      call.on('status', (s: grpc.StatusObject) => {
        trailers = Object.fromEntries(Object.entries(s.metadata.getMap()).map(([k, v]) => [k, String(v)]));
      });
    });
  }

  close(): void {
    this.inference.close();
    this.health.close();
  }
}

/**
 * What a reflection client (grpcurl list) sees: the services listed over
 * grpc.reflection.v1.ServerReflection, with the proto @grpc/reflection ships.
 */
export function listServices(target: string): Promise<string[]> {
  const protoPath = path.join(
    path.dirname(require.resolve('@grpc/reflection/package.json')),
    'build/proto/grpc/reflection/v1/reflection.proto',
  );
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath, { keepCase: true }),
  ) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.grpc.reflection.v1.ServerReflection(target, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const stream = (
      client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, unknown> }
    ).ServerReflectionInfo();
    stream.on('data', (msg: { list_services_response?: { service: { name: string }[] } }) => {
      resolve(msg.list_services_response?.service.map((s) => s.name) ?? []);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write({ list_services: '' });
  });
}
