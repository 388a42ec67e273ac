// The WebGPU device wgpu asks for, watched: a lost device (a driver reset, another tab's GPU
// hang, `destroy()`) is reported at once, so the page can start a new worker, and therefore a
// new device, from the last weights it has.

/** The device in use and whether it was lost; the browser tests destroy it through `self`. */
const gpu = { device: null, lost: false };
self.latentLabGpu = gpu;

/**
 * Calls `use` with every device `GPUAdapter.requestDevice` gives out from now on (wgpu's among
 * them), before its caller gets it; where there is no WebGPU, nothing.
 * @param {(device: GPUDevice) => void} use
 */
export function onEveryGpuDevice(use) {
  if (!self.GPUAdapter) return;
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    use(device);
    return device;
  };
}

/**
 * Holds every device wgpu asks for, and calls `onLost` with the browser's reason when that
 * device is lost.
 * @param {(message: string) => void} onLost
 */
export function watchGpuDevices(onLost) {
  onEveryGpuDevice((device) => {
    gpu.device = device;
    device.lost.then((info) => {
      gpu.lost = true;
      onLost(info.message || info.reason || 'no reason given');
    });
  });
}

/**
 * Runs `report` unless the device was lost: the page hears of a loss from the device itself
 * (and answers it with a new worker), so the failures it causes are not reported as such. A
 * lost device's `lost` promise settles around those failures, so with a device `report` waits a
 * moment for it; without one it runs at once, so that a crash is posted within the error event
 * that brought it, before the browser reports that error to the page.
 * @param {() => void} report
 * @returns {Promise<void> | void}
 */
export function unlessDeviceLost(report) {
  if (!gpu.device) return report();
  return Promise.race([gpu.device.lost, new Promise((resolve) => setTimeout(resolve, 200))]).then(() => {
    if (!gpu.lost) report();
  });
}
