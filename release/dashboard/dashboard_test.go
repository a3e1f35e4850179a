// Package dashboard drives the sandbox's dashboard (/__admin/ui) in a
// headless Chromium, so that its buttons and forms are known to work in a
// browser. It lives in the release module so that the browser driver stays
// out of the graph of projects importing the sandbox's Go packages.
package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// ArtifactsEnv names the directory the test writes its screenshot of the
// driven page to; unset, only a failed step's screenshot is taken, into a
// temporary directory.
const ArtifactsEnv = "AOPAY_TEST_ARTIFACTS"

const adminToken = "dashboard-s3cret"

// stepTimeout bounds each step on the page; a page that never shows what a
// step waits for fails the test rather than hanging it.
const stepTimeout = 15 * time.Second

var epoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// TestDashboardInABrowser loads the dashboard of a sandbox with an admin
// token, gives the page the token, forces a transition, advances the clock
// and adds a fault rule, each seen on the page and in the sandbox.
func TestDashboardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a headless Chromium")
	}
	chromium := findChromium(t)
	mock := mocktest.New(t, mocktest.WithAdminToken(adminToken), mocktest.WithClock(epoch))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-DASH-1"}
	if _, _, err := mock.Admin.PutTransaction(ctx, key, transaction.Description{State: transaction.StatePending}); err != nil {
		t.Fatal(err)
	}
	// More than a page of transactions, listed after ORDER-DASH-1.
	for i := range admin.DefaultListPage + 20 {
		more := transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("ORDER-MORE-%03d", i)}
		if _, _, err := mock.Admin.PutTransaction(ctx, more, transaction.Description{State: transaction.StateSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	lastMore := fmt.Sprintf(`#transactions tr[data-reference="ORDER-MORE-%03d"]`, admin.DefaultListPage+19)
	browser := startBrowser(t, ctx, chromium)
	started := time.Now()

	row := `#transactions tr[data-reference="ORDER-DASH-1"]`
	advanced := epoch.Add(90 * time.Minute).Format(time.RFC3339Nano)
	run(t, browser, "load the page and give it the token",
		chromedp.Navigate(mock.URL+admin.RouteOf(admin.OpDashboard).Path()),
		chromedp.WaitVisible(chromedp.CSS(`body.needs-token #token-input`)),
		chromedp.SendKeys(chromedp.CSS(`#token-input`), adminToken),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body.ready `+row+`[data-state="pending"] button[data-to="success"]`)),
	)
	run(t, browser, "show the next page of transactions",
		chromedp.WaitNotPresent(chromedp.CSS(lastMore)),
		chromedp.Click(chromedp.CSS(`#transactions-more`)),
		chromedp.WaitVisible(chromedp.CSS(lastMore)),
		chromedp.WaitNotVisible(chromedp.CSS(`#transactions-more`)),
	)
	run(t, browser, "force pending → success",
		chromedp.Click(chromedp.CSS(row+` button[data-to="success"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-state="success"]`)),
	)
	if got, err := mock.Admin.GetTransaction(ctx, key); err != nil || got.State != transaction.StateSuccess {
		t.Fatalf("after the click the sandbox holds %s (%v), want success", got.State, err)
	}
	run(t, browser, "advance the clock by 90m",
		chromedp.SetValue(chromedp.CSS(`#clock-advance`), "90m"),
		chromedp.Click(chromedp.CSS(`#clock-advance-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#clock-now[data-now="`+advanced+`"]`)),
	)
	if c, err := mock.Admin.Clock(ctx); err != nil || !c.Now.Equal(epoch.Add(90*time.Minute)) {
		t.Fatalf("after advancing the clock reads %v (%v), want %v", c.Now, err, epoch.Add(90*time.Minute))
	}
	enquire(t, mock, key.RegistrationID, key.ReferenceID) // answered 200, before the fault rule
	run(t, browser, "add a fault rule from its short form",
		chromedp.SetValue(chromedp.CSS(`#fault-input`), "status=429; retryAfter=2; referenceId=ORDER-DASH-1; count=2"),
		chromedp.Click(chromedp.CSS(`#fault-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#faults tr[data-kind="status"] button.remove`)),
	)
	faults, err := mock.Admin.ListFaults(ctx)
	if err != nil || len(faults) != 1 || faults[0].Status != 429 || faults[0].RetryAfter != "2" || faults[0].ReferenceID != key.ReferenceID || faults[0].Count != 2 {
		t.Fatalf("after adding, the sandbox holds the fault rules %+v (%v), want status 429 for ORDER-DASH-1, twice", faults, err)
	}
	// The rule answers the next enquiry 429; the page, polling, shows it
	// first among that reference's two requests, and no other reference's.
	enquire(t, mock, "AOP-554", "PENDING-1001")
	enquire(t, mock, key.RegistrationID, key.ReferenceID)
	run(t, browser, "filter the journal by referenceid",
		chromedp.SetValue(chromedp.CSS(`#journal-reference`), key.ReferenceID),
		chromedp.Click(chromedp.CSS(`#journal-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#journal tbody tr:first-child[data-reference="ORDER-DASH-1"][data-status="429"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#journal tbody tr:nth-child(2)[data-reference="ORDER-DASH-1"][data-status="200"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#journal tbody tr:not([data-reference="ORDER-DASH-1"])`)),
	)
	upstream := mocktest.New(t, mocktest.WithClock(epoch))
	run(t, browser, "start recording one registration from an upstream",
		chromedp.SetValue(chromedp.CSS(`#recording-upstream`), upstream.URL),
		chromedp.SetValue(chromedp.CSS(`#recording-registrations`), "AOP-554"),
		chromedp.Click(chromedp.CSS(`#recording-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#recordings[data-recording="true"]`)),
	)
	enquire(t, mock, "AOP-554", "12345678")
	if s, err := mock.Admin.Recording(ctx); err != nil || !s.Recording || s.Upstream != upstream.URL || s.Enquiries != 1 || s.RecordedTransactions != 1 {
		t.Fatalf("after starting from the page the sandbox's recording is %+v (%v), want one enquiry of %s recorded", s, err, upstream.URL)
	}
	run(t, browser, "stop the recording",
		chromedp.Click(chromedp.CSS(`#recording-stop`)),
		chromedp.WaitVisible(chromedp.CSS(`#recordings[data-recording="false"]`)),
	)
	if s, err := mock.Admin.Recording(ctx); err != nil || s.Recording {
		t.Fatalf("after stopping from the page the sandbox's recording is %+v (%v)", s, err)
	}
	t.Logf("page driven in %v", time.Since(started).Round(time.Millisecond))
	if os.Getenv(ArtifactsEnv) != "" {
		saveScreenshot(t, browser)
	}
}

// enquire asks the mock for a transaction as an integrator's code would.
func enquire(t *testing.T, mock *mocktest.Mock, registrationID, referenceID string) {
	t.Helper()
	body := fmt.Sprintf(`{"referenceid":%q,"RegistrationID":%q}`, referenceID, registrationID)
	res, err := http.Post(mock.EnquiryURL(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
}

// findChromium is Debian's chromium on PATH; without it the test skips,
// or fails under AOPAY_REQUIRE_TOOLS=1.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const missing = "chromium is not installed (Debian package chromium)"
	if os.Getenv("AOPAY_REQUIRE_TOOLS") == "1" {
		t.Fatal(missing)
	}
	t.Skip(missing)
	return ""
}

// startBrowser starts a headless Chromium of its own, with a fresh profile
// and nothing reaching out to the network, and a tab in it; both end with
// the test.
func startBrowser(t *testing.T, ctx context.Context, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	started := time.Now()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	t.Logf("%s started in %v", chromium, time.Since(started).Round(time.Millisecond))
	return tab
}

// run takes one step on the page; on failure it saves a screenshot and
// fails the test with what the page's status line says.
func run(t *testing.T, tab context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		status, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#status`)))
		saveScreenshot(t, tab)
		t.Fatalf("%s: %v (the page says %q)", step, err, status)
	}
}

func saveScreenshot(t *testing.T, tab context.Context) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dashboard.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
