using Dpr.Host.Tests.Hardware;
using Microsoft.Playwright;

namespace Dpr.Host.Tests.Dashboard;

/// <summary>
/// Debian's Chromium (<c>apt-get install chromium</c>; <c>.ci/run</c> installs it when missing), started
/// once per test class by Playwright from its path: Playwright's own browsers are never downloaded.
/// <c>DPR_CHROMIUM</c> names another binary.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>
    /// Where a screenshot named <paramref name="name"/> goes: docs/images (the README's and docs/dashboard.md's)
    /// when <c>DPR_UPDATE_SCREENSHOTS=1</c>, else beside the test assembly, so a test run leaves the tree clean.
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        var folder = Environment.GetEnvironmentVariable("DPR_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(RepositoryRoot.Path, "docs", "images")
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    public static string ExecutablePath => Environment.GetEnvironmentVariable("DPR_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"no Chromium at {ExecutablePath}: install Debian's (apt-get install chromium) or set DPR_CHROMIUM");
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        // Generous waits: a shared 2-core CI machine runs the service and the browser side by side.
        Assertions.SetDefaultExpectTimeout(60_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = ["--no-sandbox", "--disable-dev-shm-usage"] });
    }

    /// <summary>The dashboard of <paramref name="url"/> in a fresh context (its own session storage), on a desktop's or a phone's screen.</summary>
    public async Task<IPage> OpenAsync(Uri url, bool phone = false)
    {
        var context = await _browser!.NewContextAsync(new()
        {
            ViewportSize = phone ? new() { Width = 390, Height = 844 } : new() { Width = 1280, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(url.ToString());
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
