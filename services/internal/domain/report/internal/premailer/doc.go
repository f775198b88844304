// Package premailer is github.com/vanng822/go-premailer v1.38.0's
// premailer package (MIT, see LICENSE) with Transform only: its
// TransformText, which the reports never call, linked html2text and,
// through it, tablewriter and a dozen packages whose start-up work and code
// the mailer carried at idle (BENCHMARKS.md P6). The inlining code is
// unchanged, so the reports' HTML is byte for byte what go-premailer wrote
// (the golden files in the report package pin it).
package premailer
