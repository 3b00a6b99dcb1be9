// The ported TensorFlow.js programs, each with its source, the tolerance its printed numbers are
// compared with, and — for the programs weft does not run yet — the WeftError weft must refuse them with.
import { concatenateDoc, earlyStoppingDoc, fitDoc, tfModelDoc } from './apiDocExamples.js';
import { bostonHousing } from './bostonHousing.js';
import type { Tolerance } from './compareLogs.js';
import { iris } from './iris.js';
import { jenaWeatherMlp, jenaWeatherMlpL2 } from './jenaWeather.js';
import { codelabRegression, gettingStarted } from './learnerRegression.js';
import { mnistConv } from './mnistConv.js';
import { mnistDense } from './mnistDense.js';
import { multiOutput } from './multiOutput.js';
import type { Program } from './support.js';
import { websitePhishing } from './websitePhishing.js';

export interface ProgramEntry {
  name: string;
  source: string;
  run: Program;
  tolerance: Tolerance;
  /** A known gap: weft refuses the program with a WeftError matching this (TensorFlow.js runs it). */
  weftRefuses?: RegExp;
}

/** Forward passes only: float32 rounding. */
const EXACT: Tolerance = { abs: 1e-5, rel: 1e-4 };
/** A few dozen optimizer steps: float32 sums in a different order drift a little. */
const TRAINED: Tolerance = { abs: 2e-3, rel: 2e-3 };

export const PROGRAMS: ProgramEntry[] = [
  { name: 'iris', source: 'tfjs-examples/iris/index.js, iris/data.js', run: iris, tolerance: TRAINED },
  { name: 'boston-housing', source: 'tfjs-examples/boston-housing/index.js, boston-housing/normalization.js', run: bostonHousing, tolerance: TRAINED },
  { name: 'website-phishing', source: 'tfjs-examples/website-phishing/index.js, website-phishing/utils.js', run: websitePhishing, tolerance: TRAINED },
  { name: 'mnist dense', source: 'tfjs-examples/mnist/index.js (createDenseModel, train, showPredictions)', run: mnistDense, tolerance: TRAINED },
  { name: 'mnist conv', source: 'tfjs-examples/mnist/index.js (createConvModel, train, showPredictions)', run: mnistConv, tolerance: TRAINED },
  { name: 'jena-weather mlp', source: 'tfjs-examples/jena-weather/models.js (buildMLPModel, trainModel)', run: jenaWeatherMlp, tolerance: TRAINED },
  {
    name: 'jena-weather mlp-l2',
    source: "tfjs-examples/jena-weather/models.js (buildMLPModel with tf.regularizers.l2(), model type 'mlp-l2')",
    run: jenaWeatherMlpL2,
    tolerance: TRAINED,
  },
  { name: 'tf.model doc example', source: 'js.tensorflow.org/api/latest/#model', run: tfModelDoc, tolerance: EXACT },
  {
    name: 'tf.layers.concatenate doc example (rank 3)',
    source: 'js.tensorflow.org/api/latest/#layers.concatenate',
    run: concatenateDoc,
    tolerance: EXACT,
  },
  { name: 'LayersModel.fit doc example', source: 'js.tensorflow.org/api/latest/#tf.LayersModel.fit', run: fitDoc, tolerance: TRAINED },
  { name: 'earlyStopping doc example', source: 'js.tensorflow.org/api/latest/#callbacks.earlyStopping', run: earlyStoppingDoc, tolerance: EXACT },
  {
    name: 'functional multi-input multi-output',
    source: 'keras.io/guides/functional_api (multiple inputs and outputs), js.tensorflow.org/guide/models_and_layers',
    run: multiOutput,
    tolerance: TRAINED,
  },
  { name: 'getting started', source: 'github.com/tensorflow/tfjs README, "Getting started" snippet', run: gettingStarted, tolerance: TRAINED },
  {
    name: 'codelab: predictions from 2D data',
    source: 'codelabs.developers.google.com/codelabs/tfjs-training-regression (convertToTensor, trainModel, testModel)',
    run: codelabRegression,
    tolerance: TRAINED,
  },
];
