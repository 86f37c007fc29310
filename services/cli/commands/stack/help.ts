/** `meshray stack --help`. */
export const STACK_HELP = `usage: meshray stack [--translators N] [--no-redis]

The split services on this machine, as docker-compose.yml runs them, without Docker:
  Kafka         a real single-node broker (tools/kafka: Java 17+ and Maven), or KAFKA_BROKERS if set
  Redis         REDIS_URL (default redis://127.0.0.1:6379), shared by the translators for epoch agreement
  receiver      Zipkin endpoint (RECEIVER_PORT, default 9411 when free)
  translators   N members of one consumer group (TRANSLATOR_OPS_PORT 9412, 9413, … when free)
  xray-local    their X-Ray: API and console (XRAY_LOCAL_PORT, default 2000 when free); not started when
                XRAY_ENDPOINT is set, or AWS_REGION with AWS credentials: the translators export there

Every endpoint and the environment used are printed once all services are ready (a usual port that was
busy is named in a "note:" line); meshray send and demo without --target post to this receiver. Service
logs follow, each line prefixed with its service. Ctrl-C (SIGINT) or SIGTERM stops everything, and the
broker it started is deleted with its data (first, up to 35 s, the translators commit what it holds; a
second Ctrl-C ends that wait): capture what you want to keep (meshray capture, meshray replay --dlq) before
stopping, or run the stack on your own broker (KAFKA_BROKERS), whose topics stay. xray-local keeps its
traces in memory only. A variable a typo away from KAFKA_BROKERS or XRAY_ENDPOINT (while that one is not
set) stops the stack before anything starts.
With EXPORT_PROTOCOL=otlp, xray-local starts with Transaction Search on (XRAY_LOCAL_TRACE_SEGMENT_DESTINATION).

options:
  --translators N   translator processes (default 2; at most SPANS_TOPIC_PARTITIONS, 6 by default)
  --no-redis        translators keep epochs in local caches only (EPOCH_STORE=memory)
  --help            this text

Other variables of the services (ACK_MODE, LOG_LEVEL, …) are passed on to them; see each service's --help.
`;
