// Read a VAST URL with Dailymotion's VAST client, play the ad through its tracker as a
// player would, and call every tracking URL the client hands out. Prints a JSON report.
// Usage: node check.mjs <vast url> <user agent>
import { VASTClient, VASTTracker } from "@dailymotion/vast-client";

const [vastUrl, userAgent] = process.argv.slice(2);
const client = new VASTClient();
const warnings = [];
client.getParser().on("VAST-warning", (warning) => warnings.push(warning.message || String(warning)));
const response = await client.get(vastUrl);
const ad = response.ads[0];
const report = { version: response.version, ads: response.ads.length, warnings, emitted: [], calls: [] };
if (!ad) {
  console.log(JSON.stringify(report));
  process.exit(0);
}
const linear = ad.creatives.find((c) => c.type === "linear");
report.adServingId = ad.adServingId;
report.media = linear.mediaFiles.map((m) => ({ url: m.fileURL, type: m.mimeType, width: m.width, height: m.height }));
report.duration = linear.duration;
report.universalAdIds = linear.universalAdIds.map((u) => u.value);

const pending = [];
async function call(name, urls) {
  for (const template of urls || []) {
    const url = typeof template === "string" ? template : template.url;
    const answer = await fetch(url, { headers: { "User-Agent": userAgent }, redirect: "manual" });
    report.calls.push({ name, status: answer.status });
  }
}
const tracker = new VASTTracker(client, ad, linear);
for (const name of ["creativeView", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"]) {
  tracker.on(name, (payload) => {
    report.emitted.push(name);
    pending.push(call(name, payload && payload.trackingURLTemplates));
  });
}
tracker.on("clickthrough", (url) => { report.emitted.push("clickthrough"); pending.push(call("click", [url])); });

pending.push(call("impression", ad.impressionURLTemplates));
tracker.trackImpression();
for (const share of [0.01, 0.26, 0.51, 0.76]) tracker.setProgress(linear.duration * share);
tracker.complete();
tracker.click();
await Promise.all(pending);
await call("error", ad.errorURLTemplates);
console.log(JSON.stringify(report));
