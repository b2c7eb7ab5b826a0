#!/usr/bin/env node
// End-to-end latency per image of the reference face detectors (@vladmandic/face-api 1.7.15 on
// TensorFlow.js), for the side-by-side comparison in bench/faceapi/run.sh. Each timed call decodes
// the JPEG (jpeg-js, as the goldens were made), builds the tensor and runs detection with the same
// options as detseg. Prints one JSON object: {backend: {model: {image: [ms, ...]}}}.
//
// Usage: node reference_latency.mjs --models DIR --repeats N IMAGE...   (run where `npm ci` installed
// the packages of shared/data/faceapi/package.json, i.e. a copy of that folder)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const args = process.argv.slice(2);
let models = process.cwd();
let repeats = 5;
const images = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--models') models = args[++i];
  else if (args[i] === '--repeats') repeats = Number(args[++i]);
  else images.push(args[i]);
}

const quiet = console.warn;
console.warn = () => {};
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const jpeg = require('jpeg-js');
console.warn = quiet;
const tf = faceapi.tf;
const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
wasm.setWasmPaths(path.join(wasmDir, 'dist') + path.sep);

const OPTIONS = {
  'face-ssd': () => new faceapi.SsdMobilenetv1Options({ minConfidence: 0.3, maxResults: 100 }),
  'face-tiny-yolo': () => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.3 }),
};

async function detectOnce(file, model) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  const found = await faceapi.detectAllFaces(t, OPTIONS[model]());
  t.dispose();
  return found.length;
}

const result = {};
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
  result[backend] = {};
  for (const model of Object.keys(OPTIONS)) {
    result[backend][model] = {};
    for (const file of images) {
      await detectOnce(file, model); // warm-up: kernels compiled, weights uploaded
      const times = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = process.hrtime.bigint();
        await detectOnce(file, model);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      result[backend][model][path.basename(file)] = times;
    }
  }
}
console.log(JSON.stringify(result));
