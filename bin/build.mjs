// Compiles the TypeScript sources to JavaScript under dist/ so the CLI and its workers run
// without tsx (measured: tsx costs ~10 MiB RSS in the CLI's thread and 6–9 MiB per isolated
// worker, and its keepNames wraps every function in a naming helper call).
//
//   node bin/build.mjs          build (npm's `prepare` runs it after `npm ci` / `npm install`)
//
// bin/polysip.js calls `freshBuild()` on every start: the build is redone when any input
// differs from what the last build recorded, so an edited source is never run stale.
//
// Layout: dist/ mirrors the tree (bin/app.ts → dist/bin/app.js); relative `.ts` imports become
// `.js`, packages stay imports. `import.meta.url` in a built file names its SOURCE file, so
// what the code reads beside itself (scripts/default.lua, package.json, prelude.py, wasm and
// entry files found through createRequire) is read from the tree as before, and paths in logs
// are unchanged. The one exception is a `new URL('…', import.meta.url)` naming a file this
// build copies into dist/ (the worker boot files): it stays relative to the built file, so a
// built parent starts its worker from the built worker code.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const OUT = join(ROOT, 'dist');
const MANIFEST = join(OUT, 'manifest.json');
/** Directories whose sources make up the server (tests and bench keep running through tsx). */
const SOURCE_DIRS = ['bin', 'core', 'engines', 'modules'];
/** Inputs outside SOURCE_DIRS: a change in either changes the output. */
const EXTRA_INPUTS = ['package.json', 'tsconfig.json'];

const isCompiled = (rel) =>
  rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !rel.endsWith('.test.ts');
/** Worker entry files started with `new Worker(new URL('./worker-boot.mjs', import.meta.url))`. */
const isCopied = (rel) => rel.endsWith(`${sep}worker-boot.mjs`);

/** Every input of the build, relative to ROOT, with the stat figures the manifest keeps. */
function inputs() {
  const files = {};
  const walk = (dir) => {
    for (const ent of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== 'node_modules' && ent.name !== '__pycache__') walk(rel);
      } else if (isCompiled(rel) || isCopied(rel) || rel === join('bin', 'build.mjs')) {
        const st = statSync(join(ROOT, rel));
        files[rel] = [st.mtimeMs, st.size];
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  for (const rel of EXTRA_INPUTS) {
    const st = statSync(join(ROOT, rel));
    files[rel] = [st.mtimeMs, st.size];
  }
  return files;
}

/**
 * Why dist/ cannot be run as it is, or null when it matches the tree. "Differs", not "is
 * older": a file restored with an older mtime, or a source added or removed, also counts.
 */
export function staleReason() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(MANIFEST, 'utf8')).files;
  } catch {
    return 'no build';
  }
  const now = inputs();
  for (const [rel, [mtime, size]] of Object.entries(now)) {
    const r = recorded[rel];
    if (r === undefined) return `${rel} is new`;
    if (r[0] !== mtime || r[1] !== size) return `${rel} changed`;
  }
  for (const rel of Object.keys(recorded)) if (!(rel in now)) return `${rel} was removed`;
  return null;
}

/** Writes whole files only (write then rename), so a concurrent start never reads half a file. */
function writeAtomic(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const toUrlPath = (p) => p.split(sep).join('/');

/** esbuild plugin: one output per source file, import.meta.url rewritten as the header says. */
function perFile(copied) {
  return {
    name: 'polysip-per-file',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const path = args.path.startsWith('.') ? args.path.replace(/\.ts$/, '.js') : args.path;
        return { path, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const rel = relative(ROOT, args.path);
        const outFile = join(OUT, rel.replace(/\.ts$/, '.js'));
        const toSource = toUrlPath(relative(dirname(outFile), args.path));
        const sourceUrl = `new URL(${JSON.stringify(toSource)}, import.meta.url).href`;
        const contents = text.replace(
          /new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)|import\.meta\.url/g,
          (whole, _q, target) => {
            if (target === undefined) return sourceUrl;
            if (copied.has(relative(ROOT, resolve(dirname(args.path), target)))) return whole;
            return whole.replace(/import\.meta\.url/, sourceUrl);
          },
        );
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Compiles every input into dist/. Returns the number of files written. */
export async function build() {
  const files = inputs(); // stat'ed before compiling: an edit made during the build stays stale
  const rels = Object.keys(files);
  const copied = new Set(rels.filter(isCopied));
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: rels.filter(isCompiled).map((rel) => join(ROOT, rel)),
    outbase: ROOT,
    outdir: OUT,
    bundle: true, // with every import external (plugin): one file per module, imports rewritten
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(ROOT, 'tsconfig.json'),
    sourcemap: 'linked',
    sourcesContent: false, // the map points at the .ts files in the tree
    write: false,
    logLevel: 'silent',
    plugins: [perFile(copied)],
  });
  const written = new Set();
  for (const f of result.outputFiles) {
    writeAtomic(f.path, f.contents);
    written.add(f.path);
  }
  for (const rel of copied) {
    const dest = join(OUT, rel);
    writeAtomic(dest, readFileSync(join(ROOT, rel)));
    written.add(dest);
  }
  // Outputs of sources since removed would otherwise linger and could still be imported.
  const prune = (dir) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) prune(p);
      else if (p !== MANIFEST && !ent.name.includes('.tmp-') && !written.has(p)) rmSync(p);
    }
  };
  prune(OUT);
  writeAtomic(MANIFEST, JSON.stringify({ files }, null, 0) + '\n');
  return written.size;
}

/** One line for an error of esbuild (its first message, with file:line) or of the file system. */
function firstError(e) {
  const m = e?.errors?.[0];
  if (m?.location) return `${m.location.file}:${m.location.line}: ${m.text}`;
  if (m) return m.text;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/**
 * The URL of the built `rel` (e.g. 'bin/polysip.ts'), rebuilding first when dist/ does not
 * match the tree; or `{ error }` when it cannot be built (the caller then runs the sources).
 */
export async function freshBuild(rel) {
  try {
    if (staleReason() !== null) await build();
    return { url: pathToFileURL(join(OUT, rel.replace(/\.ts$/, '.js'))).href };
  } catch (e) {
    return { error: firstError(e) };
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  try {
    const n = await build();
    const ms = Math.round(performance.now() - t0);
    console.log(
      `polysip: built ${n} files into ${relative(process.cwd(), OUT) || '.'} in ${ms} ms`,
    );
  } catch (e) {
    console.error(`polysip: build failed: ${firstError(e)}`);
    process.exitCode = 1;
  }
}
