// One measured run: autocannon at a fixed number of connections (pipelining 1), for a duration or
// for an exact number of requests. Latency percentiles come from every response's own time
// (autocannon's histogram keeps whole milliseconds only).
import process from 'node:process';
import autocannon from 'autocannon';

const percentile = (sorted, p) => {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
};

/**
 * `request`: `{method, path, headers, body?, setupRequest?, onResponse?}` as autocannon takes it;
 * `expect`: the status that counts as success. `invalid()`, when given, returns how many answers
 * the scenario itself found wrong (e.g. a token response without a token).
 *
 * Returns `{ok, rps, p50, p99, errors, duration, statuses}`: `ok` answers with the expected status
 * per second of the run, latency in ms over all answers, `errors` = other statuses + socket errors
 * + timeouts + scenario-detected failures (+ one per connection when nothing was answered at all).
 */
export const runLoad = ({ url, connections, duration, amount, request, expect, invalid }) =>
  new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = {};
    const options = {
      url,
      connections,
      pipelining: 1,
      timeout: 10,
      requests: [request],
      ...(amount === undefined ? { duration } : { amount }),
    };
    const started = process.hrtime.bigint();
    let lastAnswer;
    const cpu0 = process.cpuUsage();
    const instance = autocannon(options, (error, result) => {
      // From the start to the last answer: autocannon notices that an `amount` is done only at
      // its next one-second tick, which must not count.
      const seconds = Number((lastAnswer ?? process.hrtime.bigint()) - started) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      if (error) {
        reject(error);
        return;
      }
      latencies.sort((a, b) => a - b);
      const ok = statuses[expect] ?? 0;
      const wrongStatus = Object.entries(statuses)
        .filter(([status]) => Number(status) !== expect)
        .reduce((sum, [, count]) => sum + count, 0);
      const scenarioErrors = invalid === undefined ? 0 : invalid();
      // A server that answers nothing within the round (hung, or dead) leaves every connection's
      // request in flight, which autocannon's 10 s timeout does not count in a 5 s round.
      const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
      const unanswered = answered === 0 ? connections : 0;
      resolve({
        ok,
        rps: ok / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        errors: wrongStatus + result.errors + result.timeouts + scenarioErrors + unanswered,
        duration: seconds,
        statuses,
        socketErrors: result.errors,
        timeouts: result.timeouts,
        scenarioErrors,
        unanswered,
        // The load generator's own CPU (this process) per successful request.
        loadgenCpuUs: ok === 0 ? undefined : (cpu.user + cpu.system) / ok,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastAnswer = process.hrtime.bigint();
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      latencies.push(responseTime);
    });
  });

/**
 * `runLoad` of `scenario`'s request (bench/lib/scenarios.mjs) against `target`, with the state its
 * `prepare` made: `amount` requests in all (the code exchange, which uses each code once), or
 * `duration` seconds of them when `amount` is `undefined`.
 */
export const runScenario = (scenario, target, state, { connections, duration, amount }) =>
  runLoad({
    url: target.url,
    connections,
    duration,
    amount,
    request: scenario.request(target, state),
    expect: scenario.expect,
    invalid: scenario.invalid === undefined ? undefined : () => scenario.invalid(state),
  });
