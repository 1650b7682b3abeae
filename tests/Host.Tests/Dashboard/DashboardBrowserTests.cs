using System.Net.Http.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Dpr.Host.Tests.Api;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Dpr.Host.Tests.Dashboard;

/// <summary>
/// The dashboard in a real Chromium (Debian's, driven by Playwright; no browser is downloaded) against
/// <c>dpr serve</c> in process on a loopback port. The screenshots in docs/images are made here
/// (with <c>DPR_UPDATE_SCREENSHOTS=1</c>; see <see cref="ChromiumFixture.ScreenshotPath"/>).
/// </summary>
public sealed class DashboardBrowserTests(ChromiumFixture chromium, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task Signing_in_takes_a_good_key_and_refuses_a_bad_one()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await page.GetByLabel("API key").FillAsync("dpr_not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That key was not accepted.");
        await Assertions.Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("dashboard-sign-in.png") });

        await SignInAsync(page, server, "alice");
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("alice");
        await Assertions.Expect(page.GetByRole(AriaRole.Listitem, new() { Name = "Partition conv" })).ToContainTextAsync("Empty");
        // Kept for this tab only.
        Assert.Equal(server.Keys["alice"], await page.EvaluateAsync<string>("sessionStorage.getItem('dpr.key')"));
        Assert.DoesNotContain(server.Keys["alice"], page.Url);
        await Assertions.Expect(page.Locator("#admin")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_job_submitted_through_the_API_appears_and_completes_live()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await SignInAsync(page, server, "alice");

        var id = (await TestJobs.SubmitAsync(server.Client("alice"), TestJobs.Make("conv3x3_int8", [1, 1, 16, 16], [1, 1, 3, 3], seed: 3).Job)).Id;
        var row = page.Locator($"#jobs tr[data-job='{id}']");
        await Assertions.Expect(row.Locator("td.state")).ToHaveTextAsync("completed");
        await Assertions.Expect(row).ToContainTextAsync("conv3x3_int8");
        await Assertions.Expect(page.Locator("#timeline")).ToContainTextAsync("swap completed conv3x3_int8");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = $"Download the result of job {id}" }).ClickAsync());
        var saved = Path.Combine(server.Data, "downloaded.json");
        await download.SaveAsAsync(saved);
        var expected = await server.Client("alice").GetStringAsync($"/v1/jobs/{id}/result");
        Assert.Equal(expected, await File.ReadAllTextAsync(saved));
    }

    [Fact]
    public async Task An_operator_load_shows_in_the_timeline_and_on_the_board()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await SignInAsync(page, server, "ops");
        await Assertions.Expect(page.Locator("#admin")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#tenants")).ToContainTextAsync("bob");

        var load = await server.Client("ops").PostAsJsonAsync("/v1/regions/conv/load", new { module = "conv5x5_int16" });
        Assert.True(load.IsSuccessStatusCode);
        await Assertions.Expect(page.Locator("#timeline li").First).ToContainTextAsync("swap completed conv5x5_int16");
        await Assertions.Expect(page.GetByRole(AriaRole.Listitem, new() { Name = "Partition conv" })).ToContainTextAsync("conv5x5_int16");

        // And from the dashboard's own operator form.
        await page.GetByLabel("Module", new() { Exact = true }).SelectOptionAsync("conv3x3_int16");
        await page.GetByRole(AriaRole.Button, new() { Name = "Load" }).ClickAsync();
        await Assertions.Expect(page.Locator("#admin-result")).ToHaveTextAsync("Done: conv holds conv3x3_int16");
        await Assertions.Expect(page.Locator("#timeline li").First).ToContainTextAsync("swap completed conv3x3_int16");

        for (var i = 0; i < 3; i++)
        {
            await TestJobs.WaitAsync(server.Client("bob"), (await TestJobs.SubmitAsync(server.Client("bob"), TestJobs.Make(i == 1 ? "conv5x5_int8" : "conv3x3_int8", [1, 1, 16, 16], [1, 1, i == 1 ? 5 : 3, i == 1 ? 5 : 3], seed: i).Job)).Id);
        }
        await Assertions.Expect(page.Locator("#queue-summary")).ToContainTextAsync("0 jobs queued now");
        await page.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("dashboard-operator.png"), FullPage = true });
    }

    [Fact]
    public async Task A_tenant_never_sees_another_tenants_jobs()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await SignInAsync(page, server, "bob");

        var alices = (await TestJobs.SubmitAsync(server.Client("alice"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 4).Job)).Id;
        await TestJobs.WaitAsync(server.Client("alice"), alices);
        var bobs = (await TestJobs.SubmitAsync(server.Client("bob"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 5).Job)).Id;
        await Assertions.Expect(page.Locator($"#jobs tr[data-job='{bobs}'] td.state")).ToHaveTextAsync("completed");
        // Alice's job was stored (and streamed) before bob's: had bob's page been sent it, it would show it by now.
        await Assertions.Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(1);
        Assert.DoesNotContain(alices.ToString(), await page.ContentAsync());
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator($"#jobs tr[data-job='{bobs}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_revoked_key_is_signed_out()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await SignInAsync(page, server, "alice");
        Assert.True((await server.Client("ops").DeleteAsync("/v1/tenants/alice/keys")).IsSuccessStatusCode);

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your key was revoked: sign in with another.");
        await Assertions.Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('dpr.key')"));
    }

    [Fact]
    public async Task The_stream_resumes_after_a_server_restart()
    {
        var server = await ApiServer.StartAsync(kestrel: true);
        try
        {
            var page = await chromium.OpenAsync(server.Url!);
            await SignInAsync(page, server, "ops");
            Assert.True((await server.Client("ops").PostAsJsonAsync("/v1/regions/conv/load", new { module = "conv3x3_int8" })).IsSuccessStatusCode);
            await Assertions.Expect(page.Locator("#timeline li").First).ToContainTextAsync("swap completed conv3x3_int8");

            // The page may not reconnect until the restarted service has stored a swap: it must come from the resume.
            await page.RouteAsync("**/v1/events/tickets", route => route.AbortAsync());
            server = await server.RestartAsync(sameUrl: true);
            await Assertions.Expect(page.Locator("#status")).Not.ToHaveTextAsync("Live");
            Assert.True((await server.Client("ops").PostAsJsonAsync("/v1/regions/conv/load", new { module = "conv5x5_int16" })).IsSuccessStatusCode);
            await page.UnrouteAsync("**/v1/events/tickets");

            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Live (resumed)");
            await Assertions.Expect(page.Locator("#timeline li").First).ToContainTextAsync("swap completed conv5x5_int16");
            // Each stored event once: the resume sent what followed the last id, nothing before it (the restarted
            // service may have reloaded conv3x3_int8 onto its fresh board: a swap of its own, with its own number).
            await Assertions.Expect(page.Locator("#timeline li", new() { HasText = "swap completed conv5x5_int16" })).ToHaveCountAsync(1);
            var sequences = await page.Locator("#timeline li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.partition + ':' + i.dataset.sequence)");
            Assert.Equal(sequences.Length, sequences.Distinct().Count());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_signed_out_and_signed_in_pages_have_no_serious_accessibility_violations()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!);
        await page.GetByLabel("API key").FillAsync("dpr_not-a-key");
        await page.GetByLabel("API key").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That key was not accepted.");
        await AssertAccessibleAsync(page, "signed out");

        // Signed in as an admin with a job done: every part of the page shown, with its rows and buttons.
        await SignInAsync(page, server, "ops");
        var id = (await TestJobs.SubmitAsync(server.Client("ops"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 6).Job)).Id;
        await Assertions.Expect(page.Locator($"#jobs tr[data-job='{id}'] td.state")).ToHaveTextAsync("completed");
        await Assertions.Expect(page.Locator("#tenants")).ToContainTextAsync("alice");
        await AssertAccessibleAsync(page, "signed in");

        // The check sees what it should on this page: a field without a label is a critical finding.
        await page.EvaluateAsync("document.querySelector('main').append(Object.assign(document.createElement('input'), { id: 'unlabelled' }))");
        Assert.Contains((await RunWcagRulesAsync(page)).Violations, v => v.Id == "label" && v.Impact == "critical");
    }

    [Fact]
    public async Task On_a_phone_the_page_fits_the_screen_width()
    {
        await using var server = await ApiServer.StartAsync(kestrel: true);
        var page = await chromium.OpenAsync(server.Url!, phone: true);
        await SignInAsync(page, server, "ops");
        var id = (await TestJobs.SubmitAsync(server.Client("ops"), TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 7).Job)).Id;
        await Assertions.Expect(page.Locator($"#jobs tr[data-job='{id}'] td.state")).ToHaveTextAsync("completed");

        // Nothing wider than the screen: the wide tables scroll inside their own box.
        Assert.Equal(390, await page.EvaluateAsync<int>("document.documentElement.scrollWidth"));
        await AssertAccessibleAsync(page, "phone");
        await page.ScreenshotAsync(new() { Path = ChromiumFixture.ScreenshotPath("dashboard-phone.png"), FullPage = true });
    }

    /// <summary>
    /// axe-core's WCAG 2.x A/AA rules (Deque.AxeCore.Playwright) find nothing serious or critical on the
    /// page; the lesser findings go to the test's output.
    /// </summary>
    private async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await RunWcagRulesAsync(page);
        var found = result.Violations.Select(v => (v.Impact, Text: $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")).ToList();
        found.ForEach(f => output.WriteLine($"{what}: {f.Text}"));
        var serious = found.Where(f => f.Impact is "serious" or "critical").Select(f => f.Text).ToList();
        Assert.True(serious.Count == 0, $"{what}: {string.Join("; ", serious)}");
        Assert.NotEmpty(result.Passes);
    }

    private static Task<AxeResult> RunWcagRulesAsync(IPage page) =>
        page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });

    private static async Task SignInAsync(IPage page, ApiServer server, string tenant)
    {
        await page.GetByLabel("API key").FillAsync(server.Keys[tenant]);
        await page.GetByLabel("API key").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Live"));
    }
}
