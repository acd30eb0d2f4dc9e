// Reading a V8 CPU profile (`--cpu-prof`): self and inclusive time per function and per file or
// package, counting only the samples inside the measured window.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `packages/app/dist/…`, `node_modules/<pkg>/…`, `node:…`, or `(native)` for V8 and GC frames. */
export const locationOf = (url, root) => {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    return url;
  }
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const rest = path.slice(inModules + '/node_modules/'.length);
    const parts = rest.split('/');
    const pkg = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    return `node_modules/${pkg}/${parts.slice(pkg.split('/').length).join('/')}`;
  }
  return relative(root, path);
};

/** The package (or workspace package) a location belongs to. */
export const packageOf = (location) => {
  if (location.startsWith('node_modules/')) {
    const parts = location.split('/');
    return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  if (location.startsWith('packages/')) return `@latchkey/${location.split('/')[1]}`;
  if (location.startsWith('node:')) return 'node (built-in modules)';
  return location;
};

/**
 * Analyses `file` between `fromMicros` and `toMicros` (the profiled process's monotonic clock).
 * Returns `{totalMs, samples, functions: [{name, location, selfMs, totalMs}], packages: [{name, selfMs}]}`.
 */
export const analyseProfile = (file, { fromMicros, toMicros, root }) => {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const keyOf = (n) => {
    const f = n.callFrame;
    const location = locationOf(f.url, root);
    return {
      key: `${f.functionName || '(anonymous)'}\u0000${location}:${f.lineNumber + 1}`,
      name: f.functionName || '(anonymous)',
      location: f.url === '' ? location : `${location}:${f.lineNumber + 1}`,
      file: location,
    };
  };
  const self = new Map();
  const inclusive = new Map();
  const info = new Map();
  const perPackage = new Map();
  const perCaller = new Map();
  let time = profile.startTime;
  let totalMicros = 0;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    time += profile.timeDeltas[i];
    // A sample's time is charged to the interval that ends with it.
    const delta = profile.timeDeltas[i];
    if (time < fromMicros || time > toMicros) continue;
    const node = nodes.get(profile.samples[i]);
    const k = keyOf(node);
    if (k.name === '(idle)' || k.name === '(program)') {
      self.set(k.key, (self.get(k.key) ?? 0) + delta);
      info.set(k.key, k);
      totalMicros += delta;
      samples += 1;
      continue;
    }
    totalMicros += delta;
    samples += 1;
    info.set(k.key, k);
    self.set(k.key, (self.get(k.key) ?? 0) + delta);
    const pkg = packageOf(k.file);
    perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + delta);
    // The same, with native frames and Node's own modules charged to the nearest package above.
    let owner = pkg;
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const candidate = packageOf(keyOf(nodes.get(id)).file);
      if (candidate !== '(native)' && !candidate.startsWith('node ')) {
        owner = candidate;
        break;
      }
    }
    if (owner === '(native)') owner = k.name;
    perCaller.set(owner, (perCaller.get(owner) ?? 0) + delta);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const a = keyOf(nodes.get(id));
      if (seen.has(a.key)) continue;
      seen.add(a.key);
      info.set(a.key, a);
      inclusive.set(a.key, (inclusive.get(a.key) ?? 0) + delta);
    }
  }
  const functions = [...info.keys()].map((key) => ({
    name: info.get(key).name,
    location: info.get(key).location,
    selfMs: (self.get(key) ?? 0) / 1000,
    totalMs: (inclusive.get(key) ?? self.get(key) ?? 0) / 1000,
  }));
  const packages = [...perPackage].map(([name, micros]) => ({ name, selfMs: micros / 1000 }));
  packages.sort((a, b) => b.selfMs - a.selfMs);
  const callers = [...perCaller].map(([name, micros]) => ({ name, selfMs: micros / 1000 }));
  callers.sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalMicros / 1000, samples, functions, packages, callers };
};

/** A plain-text report of the top entries, each with its share of the window. */
export const renderProfile = (analysis, { top = 30 } = {}) => {
  const share = (ms) => `${((ms / analysis.totalMs) * 100).toFixed(1)}%`;
  const lines = [`window: ${analysis.totalMs.toFixed(0)} ms, ${analysis.samples} samples`, ''];
  lines.push('Self time by package (idle excluded):');
  for (const p of analysis.packages.slice(0, 20)) lines.push(`  ${share(p.selfMs).padStart(6)}  ${p.name}`);
  lines.push(
    '',
    "Self time by package, native and Node's own frames charged to the package that called them:",
  );
  for (const p of analysis.callers.slice(0, 20)) lines.push(`  ${share(p.selfMs).padStart(6)}  ${p.name}`);
  lines.push('', 'Self time by function:');
  const bySelf = [...analysis.functions].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const f of bySelf) lines.push(`  ${share(f.selfMs).padStart(6)}  ${f.name}  ${f.location}`);
  lines.push('', 'Inclusive time by function (Latchkey code and its direct callees):');
  const byTotal = [...analysis.functions]
    .filter((f) => f.location.startsWith('packages/') || f.location.includes('node_modules/koa'))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, top);
  for (const f of byTotal) lines.push(`  ${share(f.totalMs).padStart(6)}  ${f.name}  ${f.location}`);
  lines.push('', 'Inclusive time by function (all):');
  const all = [...analysis.functions].sort((a, b) => b.totalMs - a.totalMs).slice(0, top);
  for (const f of all) lines.push(`  ${share(f.totalMs).padStart(6)}  ${f.name}  ${f.location}`);
  return `${lines.join('\n')}\n`;
};
