import { XRayClient } from '@aws-sdk/client-xray';

/**
 * The X-Ray client both the translator and the all-in-one use. With an endpoint override and no AWS
 * credentials in the environment (xray-local), it signs with placeholder credentials; against AWS it
 * uses the SDK's default provider chain (env, profile, IRSA web identity, instance role).
 */
export function createXRayClient(options: { region: string; endpoint?: string | undefined; env: Readonly<Record<string, string | undefined>> }): XRayClient {
  const local = options.endpoint !== undefined && options.env['AWS_ACCESS_KEY_ID'] === undefined;
  return new XRayClient({
    region: options.region,
    maxAttempts: 1, // XRaySegmentSink retries itself, with heartbeats between retries
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(local ? { credentials: { accessKeyId: 'meshray-local', secretAccessKey: 'meshray-local' } } : {}),
  });
}
