// tfjs-examples/mnist/index.js's train() and showPredictions(), shared by the dense and the conv
// model: rmsprop, categoricalCrossentropy, validationSplit 0.15, onBatchEnd yielding to the page.
// Ported: shuffle off, the plots become log lines, onBatchEnd only notes the batch it was called for
// (weft calls it from a few progress readbacks per epoch and for the last batch, not at every batch,
// so the count is not printed; the last batch of each epoch is).
import type { Digits } from './mnistData.js';
import type { Log, Tf } from './support.js';

export async function train(tf: Tf, log: Log, model: Tf, trainData: Digits, testData: Digits, trainEpochs: number, batchSize: number): Promise<void> {
  model.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const validationSplit = 0.15;
  let trainBatchCount = 0;
  let lastBatch = -1;
  let valAcc = 0;
  await model.fit(trainData.xs, trainData.labels, {
    batchSize,
    validationSplit,
    epochs: trainEpochs,
    shuffle: false,
    callbacks: {
      onBatchEnd: async (batch: number) => {
        trainBatchCount++;
        lastBatch = batch;
        await tf.nextFrame();
      },
      onEpochEnd: async (epoch: number, logs: Record<string, number>) => {
        valAcc = logs.val_acc!;
        log(
          `Epoch ${epoch + 1}: loss ${logs.loss!.toFixed(4)} acc ${logs.acc!.toFixed(4)} val_loss ${logs.val_loss!.toFixed(4)} val_acc ${logs.val_acc!.toFixed(4)}; last onBatchEnd: batch ${lastBatch}`,
        );
        await tf.nextFrame();
      },
    },
  });
  log(`onBatchEnd was called: ${trainBatchCount > 0}`);
  const testResult = model.evaluate(testData.xs, testData.labels);
  const testAccPercent = testResult[1].dataSync()[0] * 100;
  const finalValAccPercent = valAcc * 100;
  log(`Final validation accuracy: ${finalValAccPercent.toFixed(1)}%; Final test accuracy: ${testAccPercent.toFixed(1)}%`);
  log(`Test loss: ${testResult[0].dataSync()[0].toFixed(4)}`);
}

export function showPredictions(tf: Tf, log: Log, model: Tf, examples: Digits): void {
  tf.tidy(() => {
    const output = model.predict(examples.xs);
    const axis = 1;
    const labels = Array.from(examples.labels.argMax(axis).dataSync());
    const predictions = Array.from(output.argMax(axis).dataSync());
    log('labels     ', labels.join(' '));
    log('predictions', predictions.join(' '));
  });
}
