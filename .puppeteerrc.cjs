// Puppeteer must not download its own Chrome: the project uses the system Chromium
// (/usr/bin/chromium, or the browser named by WEFT_BROWSER / PUPPETEER_EXECUTABLE_PATH).
module.exports = { skipDownload: true };
