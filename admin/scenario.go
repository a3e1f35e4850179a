package admin

// ScenarioHeader is the request header that chooses how an unknown
// referenceid is made on its first enquiry, whatever its spelling:
// `<scenario>[;resolve=<enquiries or duration>]`, such as `pending`,
// `pending; resolve=2` or `pendfail; resolve=30m`, in the grammar of
// transaction.ParseScenario. It never changes a transaction that exists.
const ScenarioHeader = "X-Mock-Scenario"
