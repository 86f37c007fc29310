import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  /** undefined when healthy, otherwise the reason it is not. */
  (): string | undefined;
}

/** /health/live, /health/ready and /metrics, shared by every service's HTTP port. */
export function registerOpsRoutes(app: FastifyInstance, deps: { live: HealthCheck; ready: HealthCheck; registry: Registry }): void {
  const answer = (check: HealthCheck) => async (_req: unknown, reply: { code: (n: number) => { send: (b: unknown) => unknown } }) => {
    const problem = check();
    return problem === undefined ? reply.code(200).send({ status: 'ok' }) : reply.code(503).send({ status: 'unavailable', reason: problem });
  };
  app.get('/health/live', answer(deps.live));
  app.get('/health/ready', answer(deps.ready));
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.header('content-type', deps.registry.contentType).send(body);
  });
}
