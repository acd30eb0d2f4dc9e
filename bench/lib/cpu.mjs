// CPU time of processes from /proc (Linux), to report CPU per request next to throughput: on a
// machine whose cores are shared by the load generator, the servers and the database, CPU per
// request is the steadier figure. Elsewhere these return undefined and the report shows "–".
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

const statOf = (pid) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; fields follow the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after the command.
    return {
      comm,
      ticks: Number(fields[11]) + Number(fields[12]),
      children: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
};

/** CPU seconds used so far by `pid`, or undefined. */
export const cpuSecondsOf = (pid) => {
  const stat = statOf(pid);
  return stat === undefined ? undefined : stat.ticks / TICKS_PER_SECOND;
};

/**
 * CPU seconds used so far by every process named `name` (e.g. all PostgreSQL processes) and by
 * their exited children (a backend's time moves to the postmaster's when it exits), or undefined
 * when /proc cannot be read.
 */
export const cpuSecondsOfAll = (name) => {
  let entries;
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  let ticks = 0;
  for (const pid of entries) {
    const stat = statOf(pid);
    if (stat?.comm === name) ticks += stat.ticks + stat.children;
  }
  return ticks / TICKS_PER_SECOND;
};

/** Starts counting; `stop(ok)` returns {serverCpuUs, dbCpuUs} per request (or undefined). */
export const cpuMeter = ({ pid, database }) => {
  const server0 = pid === undefined ? undefined : cpuSecondsOf(pid);
  const db0 = database ? cpuSecondsOfAll('postgres') : undefined;
  return (ok) => {
    const server1 = pid === undefined ? undefined : cpuSecondsOf(pid);
    const db1 = database ? cpuSecondsOfAll('postgres') : undefined;
    const per = (a, b) => (a === undefined || b === undefined || ok === 0 ? undefined : ((b - a) * 1e6) / ok);
    return { serverCpuUs: per(server0, server1), dbCpuUs: per(db0, db1) };
  };
};

/** Resident memory of `pid` in MiB (VmRSS from /proc), or undefined. */
export const residentMiBOf = (pid) => {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
};
