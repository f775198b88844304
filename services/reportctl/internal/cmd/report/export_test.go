package report

// ReportDue is reportDue, for the tests.
var ReportDue = reportDue
var PortfolioDue = portfolioDue
