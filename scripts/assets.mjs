// Builds the front-end assets the binary embeds (internal/web/static/vendor, never committed)
// from the npm packages and the platform's own files:
//
//   - one stylesheet (css/site.css) holding the DSFR's core and only the components and icons
//     the templates use (found from the fr-* classes in internal/web/templates), in the DSFR's
//     own order, with the components they depend on (their README's "Dépendances"), purged of
//     the rules that need a class no template or script uses, then the platform's own rules;
//   - one DSFR script of the core and the scripts of those components;
//   - every file under a name carrying a hash of its content (dsfr/dsfr.3f2a1b9c0d.css), so
//     that browsers may keep it for a year; the stylesheet's url()s point at those names;
//   - a gzip and a brotli copy of each text file, for the server to send by content
//     negotiation;
//   - manifest.json, from the names the templates ask for ({{asset "css/site.css"}}) to the
//     hashed ones.
//
// Run by scripts/assets.sh (make assets). Node's standard library only.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const dist = path.join(root, "node_modules/@gouvfr/dsfr/dist");
const out = path.join(root, "internal/web/static/vendor");
const templates = path.join(root, "internal/web/templates");
const own = path.join(root, "internal/web/static");

const read = (p) => fs.readFileSync(p, "utf8");
// The license banner each DSFR file starts with; the stylesheet keeps one.
const banner = (css) => css.match(/^\/\*![\s\S]*?\*\//)?.[0] ?? "";
const body = (css) => css.replace(/^\/\*![\s\S]*?\*\//, "");

// The classes the templates use.
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}
const used = new Set();
for (const file of walk(templates).filter((f) => f.endsWith(".html"))) {
  for (const m of read(file).matchAll(/fr-[a-z0-9_-]+/g)) used.add(m[0].replace(/[-_]+$/, ""));
}

// A component is used when a template uses a class that starts one of its selectors.
const componentDir = path.join(dist, "component");
const components = fs.readdirSync(componentDir).filter((c) => fs.existsSync(path.join(componentDir, c, `${c}.main.min.css`)));
function owned(css) {
  const classes = new Set();
  for (const m of css.matchAll(/(?:^|[{},])\s*\.(fr-[a-zA-Z0-9_-]+)/g)) classes.add(m[1]);
  return classes;
}
function dependencies(name) {
  const readme = path.join(componentDir, name, "README.md");
  if (!fs.existsSync(readme)) return [];
  const block = read(readme).match(/## Dépendances\s*```[a-z]*\n([\s\S]*?)```/);
  if (!block) return [];
  return [...block[1].matchAll(/└─\s*([a-z-]+)/g)].map((m) => m[1]).filter((d) => d !== "core" && d !== name);
}
const chosen = new Set();
const add = (name) => {
  if (chosen.has(name) || !components.includes(name)) return;
  chosen.add(name);
  dependencies(name).forEach(add);
};
for (const c of components) {
  const classes = owned(body(read(path.join(componentDir, c, `${c}.main.min.css`))));
  if ([...classes].some((cls) => used.has(cls))) add(c);
}
// The DSFR's order: where each component's styles sit in the whole stylesheet.
const whole = read(path.join(dist, "dsfr.main.min.css"));
const position = (c) => {
  const css = body(read(path.join(componentDir, c, `${c}.main.min.css`)));
  const at = whole.indexOf(css.slice(0, 300));
  return at < 0 ? Number.MAX_SAFE_INTEGER : at;
};
const ordered = [...chosen].sort((a, b) => position(a) - position(b) || a.localeCompare(b));

// The icons the templates use, from the icons' stylesheet, rule by rule.
const icons = [...used].filter((c) => c.startsWith("fr-icon-"));
const iconRules = [];
const iconsCSS = body(read(path.join(dist, "utility/icons/icons.main.min.css")));
for (const m of iconsCSS.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
  const selectors = m[1].split(",").map((s) => s.trim());
  if (selectors.some((s) => icons.some((icon) => s === `.${icon}:before` || s === `.${icon}:after` || s === `.${icon}::before`))) {
    iconRules.push(m[0]);
  }
}
const missingIcons = icons.filter((icon) => !iconRules.some((r) => r.includes(`.${icon}:`)));
if (missingIcons.length > 0) {
  console.error(`assets: icons unknown to the DSFR: ${missingIcons.join(", ")}`);
  process.exit(1);
}

// The classes that may appear on a page: the templates', and those the DSFR's and the
// platform's scripts add (every string literal of the scripts, prefixed, so that a class the
// DSFR builds with ns("collapse--expanded") is kept).
const scripted = new Set();
for (const file of [path.join(dist, "dsfr.module.js"), path.join(own, "js/parcours.js")]) {
  for (const m of read(file).matchAll(/["'`]([a-zA-Z][a-zA-Z0-9_-]*)/g)) {
    scripted.add(m[1].startsWith("fr-") ? m[1] : `fr-${m[1]}`);
  }
}
const known = (cls) => used.has(cls) || scripted.has(cls);

// Rewrites each style rule of css with rule(prelude, body), which returns the text to put in
// its place ("" drops it). At-rules holding rules (@media, @supports, @layer) are walked inside
// and dropped when nothing is left in them; other at-rules (@font-face) are kept as they are.
// A comment where a rule could start is dropped, or kept with keepComments (the licence banner).
function eachRule(css, rule, keepComments = false) {
  let out = "";
  let i = 0;
  const blockEnd = (from) => { // index just after the } closing the block opened at from
    let depth = 0;
    for (let j = from; j < css.length; j++) {
      const c = css[j];
      if (c === '"' || c === "'") { j = css.indexOf(c, j + 1); continue; }
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) return j + 1;
    }
    return css.length;
  };
  const uncommented = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "");
  while (i < css.length) {
    if (css.startsWith("/*", i)) {
      const end = css.indexOf("*/", i + 2) + 2;
      if (keepComments) out += css.slice(i, end > 1 ? end : css.length);
      i = end > 1 ? end : css.length;
      continue;
    }
    const open = css.indexOf("{", i);
    if (open < 0) { out += css.slice(i); break; }
    const prelude = css.slice(i, open);
    const end = blockEnd(open);
    const head = uncommented(prelude).trim();
    if (head.startsWith("@")) {
      if (/^@(media|supports|layer)\b/.test(head)) {
        const inner = eachRule(css.slice(open + 1, end - 1), rule, keepComments);
        if (uncommented(inner).trim() !== "") out += `${prelude}{${inner}}`;
      } else {
        out += css.slice(i, end);
      }
    } else {
      out += rule(prelude, css.slice(open + 1, end - 1));
    }
    i = end;
  }
  return out;
}
// The parts of text between its top-level separators (not those inside (), [] or a string).
function split(text, separator) {
  const parts = [];
  let depth = 0, start = 0;
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (c === '"' || c === "'") { j = text.indexOf(c, j + 1); if (j < 0) break; continue; }
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === separator && depth === 0) { parts.push(text.slice(start, j)); start = j + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

// Drops the rules none of whose selectors can match a page: a selector is kept unless it
// requires a DSFR class no template or script uses. Classes inside parentheses (:not(),
// :is(), :where(), :has()) are not requirements and never drop a selector.
function purge(css) {
  return eachRule(css, (prelude, body) => {
    const kept = split(prelude, ",").filter((sel) => {
      const outside = sel.replace(/\((?:[^()]|\([^()]*\))*\)/g, "");
      return [...outside.matchAll(/\.(fr-[a-zA-Z0-9_-]+)/g)].every((m) => known(m[1]));
    });
    return kept.length > 0 ? `${kept.join(",")}{${body}}` : "";
  });
}

// Drops the declarations of custom properties nothing reads: a property is read when a
// declaration that is not its own definition names it in var(), when extra (the scripts and
// the platform's stylesheet) names it, or when the value of a read property names it. A rule
// left without declarations goes.
function purgeProperties(css, extra) {
  const refs = (text) => [...text.matchAll(/--[a-zA-Z0-9_-]+/g)].map((m) => m[0]);
  const values = new Map();
  const read = new Set(refs(extra));
  eachRule(css, (prelude, body) => {
    for (const d of split(body, ";")) {
      const colon = d.indexOf(":");
      if (colon < 0) continue;
      const name = d.slice(0, colon).trim(), value = d.slice(colon + 1);
      if (name.startsWith("--")) values.set(name, [...(values.get(name) ?? []), value]);
      else refs(value).forEach((r) => read.add(r));
    }
    return "";
  });
  const todo = [...read];
  while (todo.length > 0) {
    for (const value of values.get(todo.pop()) ?? []) {
      for (const r of refs(value)) if (!read.has(r)) { read.add(r); todo.push(r); }
    }
  }
  return eachRule(css, (prelude, body) => {
    const kept = split(body, ";").filter((d) => !d.trim().startsWith("--") || read.has(d.slice(0, d.indexOf(":")).trim()));
    return kept.some((d) => d.trim() !== "") ? `${prelude}{${kept.join(";")}}` : "";
  }, true);
}

// Output: hashed names, compressed copies, manifest.
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const manifest = {};
const hashed = new Map(); // source file → URL of its hashed copy
const compressible = new Set([".css", ".js", ".svg", ".json", ".ico", ".webmanifest"]);
function emit(logical, content) {
  const ext = path.extname(logical);
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 10);
  const name = `${logical.slice(0, -ext.length)}.${hash}${ext}`;
  const file = path.join(out, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  if (compressible.has(ext) && content.length > 256) {
    const gz = zlib.gzipSync(content, { level: 9 });
    const br = zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length } });
    if (gz.length < content.length) fs.writeFileSync(`${file}.gz`, gz);
    if (br.length < content.length) fs.writeFileSync(`${file}.br`, br);
  }
  manifest[logical] = name;
  return `/static/vendor/${name}`;
}
// A file of the DSFR's dist referenced by a stylesheet, emitted once.
function referenced(source) {
  if (!hashed.has(source)) {
    hashed.set(source, emit(path.join("dsfr", path.relative(dist, source)), fs.readFileSync(source)));
  }
  return hashed.get(source);
}
// Points a stylesheet's url()s, relative to from, at the hashed copies.
function rewrite(css, from) {
  return css.replace(/url\((['"]?)([^'")]+)\1\)/g, (all, quote, url) => {
    if (/^(data:|https?:|#|\/)/.test(url)) return all;
    const target = path.resolve(path.dirname(from), url.split(/[?#]/)[0]);
    if (!fs.existsSync(target)) {
      console.error(`assets: ${path.relative(dist, from)} refers to ${url}, which does not exist`);
      process.exit(1);
    }
    return `url(${referenced(target)})`;
  });
}

// One stylesheet, the only resource that blocks the first paint: the DSFR's core, components
// and icons, purged of the rules no page can use, then the platform's own rules.
const piece = (file) => rewrite(purge(body(read(file))), file);
const core = path.join(dist, "core/core.main.min.css");
let css = banner(read(core)) + piece(core);
for (const c of ordered) css += piece(path.join(componentDir, c, `${c}.main.min.css`));
css += rewrite(iconRules.join(""), path.join(dist, "utility/icons/icons.main.min.css"));
// Print styles are @media print blocks: they cost nothing on screen.
css += piece(path.join(dist, "core/core.print.min.css"));
for (const c of ordered) {
  const print = path.join(componentDir, c, `${c}.print.min.css`);
  if (fs.existsSync(print)) css += piece(print);
}
// Custom properties: the DSFR's core defines about a thousand on :root (every colour of every
// palette, the dark theme's), which each page's first style computation resolves; only those a
// kept rule, the platform's rules or a script reads (var(--x), then what their values read) stay.
css += "\n" + rewrite(read(path.join(own, "css/parcours.css")), path.join(own, "css/parcours.css"));
css = purgeProperties(css, [path.join(dist, "dsfr.module.js"), path.join(own, "js/parcours.js"),
  path.join(own, "css/parcours.css")].map(read).join("\n"));
const unpurged = body(read(core)).length + ordered.reduce((n, c) => n + body(read(path.join(componentDir, c, `${c}.main.min.css`))).length, 0);
emit("css/site.css", Buffer.from(css));

// One script for the DSFR: its core and the components the pages use that have a script,
// in the DSFR's order (what dsfr.module.min.js holds for every component).
let script = read(path.join(dist, "core/core.module.min.js"));
const scriptedComponents = [];
for (const c of ordered) {
  const file = path.join(componentDir, c, `${c}.module.min.js`);
  if (fs.existsSync(file)) {
    // Each component's script declares its own top-level names (const e = window.dsfr):
    // a block keeps them apart in the one module.
    script += `\n{\n${body(read(file))}\n}`;
    scriptedComponents.push(c);
  }
}
emit("dsfr/dsfr.module.min.js", Buffer.from(script));

for (const [logical, source] of [
  ["dsfr/dsfr.nomodule.min.js", path.join(dist, "dsfr.nomodule.min.js")],
  ["dsfr/favicon/favicon.svg", path.join(dist, "favicon/favicon.svg")],
  ["dsfr/favicon/favicon.ico", path.join(dist, "favicon/favicon.ico")],
  ["dsfr/favicon/apple-touch-icon.png", path.join(dist, "favicon/apple-touch-icon.png")],
  ["js/parcours.js", path.join(own, "js/parcours.js")],
]) {
  const content = fs.readFileSync(source);
  emit(logical, logical.endsWith(".css") ? Buffer.from(rewrite(content.toString("utf8"), source)) : content);
}
fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");

const size = (name) => fs.statSync(path.join(out, name)).size;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const sheet = manifest["css/site.css"];
const js = manifest["dsfr/dsfr.module.min.js"];
console.log(`assets: DSFR ${JSON.parse(read(path.join(dist, "../package.json"))).version} stylesheet of ${ordered.length} components ` +
  `(${ordered.join(", ")}) and ${icons.length} icons, purged of unused rules (${kb(unpurged)} before): ${kb(size(sheet))}, ` +
  `${kb(size(sheet + ".br"))} with brotli; DSFR script of the core and ${scriptedComponents.length} components: ` +
  `${kb(size(js))}, ${kb(size(js + ".br"))} with brotli; ` +
  `${Object.keys(manifest).length} files named by their content, in ${path.relative(root, out)}`);
