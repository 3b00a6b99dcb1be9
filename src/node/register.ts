// Hooks the Node pieces into the shared code (imported for its effects by the Node entries).
import { fileSystem } from '../api/io/node.js';
import { setFileSystemHandler } from '../api/io/fileScheme.js';
import { setGpuSource } from '../runtime/gpuProvider.js';
import { dawnGpu } from './dawn.js';

setGpuSource(dawnGpu);
setFileSystemHandler(fileSystem);
