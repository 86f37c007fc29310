import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureFlagsOf, flagsOf } from '../../../../../shared/core/xray/flags.ts';
import { statusOf } from '../../../../../shared/core/xray/http.ts';

const flags = (tags: Record<string, string>) => {
  const f = flagsOf(tags, statusOf(tags));
  return [f.error, f.throttle, f.fault, f.causeMessage] as const;
};

test('flag table', () => {
  const cases: [Record<string, string>, readonly [boolean, boolean, boolean, string | undefined]][] = [
    [{ 'http.status_code': '200', response_flags: '-' }, [false, false, false, undefined]],
    [{ 'http.status_code': '404', response_flags: 'NR' }, [true, false, false, 'NR: no route configured']],
    [{ 'http.status_code': '429', response_flags: 'RL' }, [true, true, false, 'RL: rate limited locally']],
    [{ 'http.status_code': '503', response_flags: 'UF,URX' }, [false, false, true, 'UF: upstream connection failure; URX: upstream retry limit exceeded']],
    [{ 'http.status_code': '503' }, [false, false, true, undefined]],
    [{ 'http.status_code': '0', response_flags: 'UF' }, [false, false, true, 'UF: upstream connection failure']],
    [{ response_flags: 'UT' }, [false, false, true, 'UT: upstream request timeout']],
    // Istio's fixed-delay fault injection: the request was delayed, then answered (it was a fault, and an always-kept error trace)
    [{ 'http.status_code': '200', response_flags: 'DI' }, [false, false, false, undefined]],
    [{ 'http.status_code': '503', response_flags: 'DI,FI' }, [false, false, true, 'FI: request aborted by fault injection']],
    [{ 'http.status_code': '0', error: 'true' }, [false, false, true, 'error tag set on the span']],
    [{ error: 'connection refused' }, [false, false, true, 'error: connection refused']],
    [{ 'http.status_code': '200', error: 'true', 'grpc.status_code': '14' }, [false, false, true, 'grpc 14 UNAVAILABLE']],
    // a gRPC failure is a fault even without an error tag: gRPC answers HTTP 200
    [{ 'http.status_code': '200', 'grpc.status_code': '14', 'grpc.message': 'upstream connect error' }, [false, false, true, 'grpc 14 UNAVAILABLE: upstream connect error']],
    [{ 'grpc.status_code': 'DEADLINE_EXCEEDED' }, [false, false, true, 'grpc 4 DEADLINE_EXCEEDED']],
    [{ 'http.status_code': '200', 'grpc.status_code': '0' }, [false, false, false, undefined]],
    [{ 'grpc.status_code': 'OK' }, [false, false, false, undefined]],
    [{ 'grpc.status_code': 'nonsense' }, [false, false, false, undefined]],
    [{ 'http.status_code': '0', error: 'false' }, [false, false, false, undefined]],
    // present but empty (OpenTelemetry's Zipkin exporter: an ERROR status without a description) is still an error (found by review)
    [{ error: '' }, [false, false, true, 'error tag set on the span']],
    [{ 'http.status_code': '200', error: '' }, [false, false, true, 'error tag set on the span']],
    [{ 'http.status_code': '0', response_flags: '-' }, [false, false, false, undefined]],
    [{ 'http.status_code': '0', response_flags: 'XYZ' }, [false, false, false, undefined]],
  ];
  for (const [tags, expected] of cases) assert.deepEqual(flags(tags), expected, JSON.stringify(tags));
});

test('failure flags: comma separated, `-` is none, unknown and duplicates ignored', () => {
  assert.deepEqual(failureFlagsOf('-'), []);
  assert.deepEqual(failureFlagsOf('UF,URX'), ['UF', 'URX']);
  assert.deepEqual(failureFlagsOf('UF, UF ,XX'), ['UF']);
  assert.deepEqual(failureFlagsOf(undefined), []);
});
