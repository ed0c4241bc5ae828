// Package plot draws the charts of a model card as self-contained SVG:
// confusion matrix heatmap, reliability diagram, ROC and precision-recall
// curves, grouped horizontal bars (a metric per subgroup) and line charts
// (a training-loss curve with evaluation points).
//
// The output needs nothing outside the file: no scripts, no external
// fonts, stylesheets or images; text uses the generic sans-serif family,
// and every label is XML-escaped. It is deterministic: the same input gives
// the same bytes (coordinates are printed with two decimals), so charts can
// be compared with golden files and committed next to a model.
//
// Charts take plain values (the metrics package computes them:
// metrics.ConfusionMatrix, metrics.ReliabilityBins, metrics.ROCCurve,
// metrics.PRCurve, metrics.AuditSubgroups) and return the SVG document as
// bytes. Only the standard library is used.
package plot
