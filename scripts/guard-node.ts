// Refuses to run the hub or its tests on any Node but the pinned major (see package.json "node").
const wanted = 26;
const major = Number(process.versions.node.split('.')[0]);
if (major !== wanted) {
  console.error(
    `crossroads needs Node ${wanted} (pinned through the npm package "node"); this is ${process.version}. ` +
      'Run it through npm scripts or `npx node`, and never install with --ignore-scripts.',
  );
  process.exit(1);
}
