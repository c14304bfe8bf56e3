// Opens a model page in headless Chromium (software WebGL, as on a machine without a GPU) and
// reports, as one JSON line: the time from opening the page to the first geometry on screen, to
// the whole model loaded, the time per frame while orbiting, and the time from the last camera
// move to the full picture.
//
//   node bench/viewer.mjs URL PROJECT MODEL
import { chromium } from '../end2end/node_modules/playwright-core/index.mjs';

const [base, project, model] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
await page.goto(`${base}/projects/${project}/models/${model}`);
await page.waitForFunction(() => performance.getEntriesByName('fleck:first-geometry').length > 0, null, { timeout: 600_000, polling: 50 });
const firstGeometry = await page.evaluate(() => performance.getEntriesByName('fleck:first-geometry')[0].startTime);
await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 600_000 });
const loaded = await page.evaluate(() => performance.now());
// Each arrow key turns the camera, which is drawn at the next animation frame (coarser for big
// models while it moves); reading the canvas back waits for that frame to finish. Once the keys
// stop, the full picture follows: measured from the last key to its end.
const frames = 30;
const { frame, settled } = await page.evaluate(async (frames) => {
  const canvas = document.querySelector('canvas.viewer-canvas');
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  canvas.focus();
  canvas.toDataURL();
  const started = performance.now();
  for (let i = 0; i < frames; i++) {
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    await nextFrame();
    canvas.toDataURL();
  }
  const stopped = performance.now();
  const fullWidth = Math.round(canvas.clientWidth * devicePixelRatio);
  while (canvas.width !== fullWidth && performance.now() - stopped < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  canvas.toDataURL();
  return { frame: (stopped - started) / frames, settled: performance.now() - stopped };
}, frames);
console.log(JSON.stringify({ firstGeometryMs: Math.round(firstGeometry), loadedMs: Math.round(loaded), frameMs: +frame.toFixed(1), settledMs: Math.round(settled), errors }));
await browser.close();
