using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Host.Api;

namespace Dpr.Host.Client;

/// <summary>A refusal of the API: its RFC 7807 problem, with the field at fault and when to retry.</summary>
public sealed class DprApiException(int status, string title, string detail, string? field, TimeSpan? retryAfter)
    : Exception($"{status} {title}: {detail}")
{
    public int Status { get; } = status;

    public string? Field { get; } = field;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The v1 HTTP API (docs/api.md) for the CLI verbs: typed bodies, problems as <see cref="DprApiException"/>.</summary>
public sealed class DprClient(HttpClient http) : IDisposable
{
    public static DprClient Create(Uri url, string? key, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = !url.IsLoopback }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(key))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return new DprClient(http);
    }

    public Task<SubmittedDto> SubmitAsync(JsonElement job, CancellationToken cancel = default) => SendAsync<SubmittedDto>(HttpMethod.Post, "/v1/jobs", job, cancel);

    public Task<JobDto> JobAsync(Guid id, CancellationToken cancel = default) => SendAsync<JobDto>(HttpMethod.Get, $"/v1/jobs/{id}", null, cancel);

    public Task<ResultDto> ResultAsync(Guid id, CancellationToken cancel = default) => SendAsync<ResultDto>(HttpMethod.Get, $"/v1/jobs/{id}/result", null, cancel);

    public Task<JobDto> CancelAsync(Guid id, CancellationToken cancel = default) => SendAsync<JobDto>(HttpMethod.Delete, $"/v1/jobs/{id}", null, cancel);

    public Task<JobListDto> JobsAsync(string? state, int limit, CancellationToken cancel = default) =>
        SendAsync<JobListDto>(HttpMethod.Get, $"/v1/jobs?limit={limit}{(state is null ? "" : "&state=" + Uri.EscapeDataString(state))}", null, cancel);

    public Task<RegionListDto> RegionsAsync(CancellationToken cancel = default) => SendAsync<RegionListDto>(HttpMethod.Get, "/v1/regions", null, cancel);

    /// <param name="board">The board of the partition (a fleet's: <c>pynq-z2-1</c>); null for the service's one board.</param>
    public Task<LoadedDto> LoadAsync(string partition, string module, string? board = null, CancellationToken cancel = default) =>
        SendAsync<LoadedDto>(HttpMethod.Post, RegionPath(board, partition, "load"), new LoadDto(module), cancel);

    /// <param name="board">The board of the partition (a fleet's: <c>pynq-z2-1</c>); null for the service's one board.</param>
    public Task<RegionDto> ResetAsync(string partition, string? board = null, CancellationToken cancel = default) =>
        SendAsync<RegionDto>(HttpMethod.Post, RegionPath(board, partition, "reset"), null, cancel);

    private static string RegionPath(string? board, string partition, string command) =>
        $"/v1/{(board is null ? "" : $"boards/{Uri.EscapeDataString(board)}/")}regions/{Uri.EscapeDataString(partition)}/{command}";

    public Task<ModuleListDto> ModulesAsync(CancellationToken cancel = default) => SendAsync<ModuleListDto>(HttpMethod.Get, "/v1/modules", null, cancel);

    /// <param name="board">Only this board's swaps (on a fleet node); null for every board's.</param>
    public Task<SwapPageDto> SwapsAsync(string? partition, int limit, string? before, string? board = null, CancellationToken cancel = default) =>
        SendAsync<SwapPageDto>(
            HttpMethod.Get,
            $"/v1/swaps?limit={limit}{(board is null ? "" : "&board=" + Uri.EscapeDataString(board))}{(partition is null ? "" : "&partition=" + Uri.EscapeDataString(partition))}{(before is null ? "" : "&before=" + Uri.EscapeDataString(before))}",
            null, cancel);

    public Task<AuditPageDto> AuditAsync(int limit, string? before, CancellationToken cancel = default) =>
        SendAsync<AuditPageDto>(HttpMethod.Get, $"/v1/audit?limit={limit}{(before is null ? "" : "&before=" + Uri.EscapeDataString(before))}", null, cancel);

    public Task<ChaosStateDto> ChaosAsync(CancellationToken cancel = default) => SendAsync<ChaosStateDto>(HttpMethod.Get, "/v1/chaos", null, cancel);

    public Task<ChaosClearedDto> ClearChaosAsync(CancellationToken cancel = default) => SendAsync<ChaosClearedDto>(HttpMethod.Delete, "/v1/chaos", null, cancel);

    public Task<ChaosUpsetInjectedDto> InjectUpsetAsync(ChaosUpsetDto upset, CancellationToken cancel = default) =>
        SendAsync<ChaosUpsetInjectedDto>(HttpMethod.Post, "/v1/chaos/upsets", upset, cancel);

    public Task<ChaosPortFaultsDto> InjectPortFaultsAsync(ChaosPortFaultDto faults, CancellationToken cancel = default) =>
        SendAsync<ChaosPortFaultsDto>(HttpMethod.Post, "/v1/chaos/port-faults", faults, cancel);

    public Task<JournalOutageDto> InjectJournalOutageAsync(ChaosJournalOutageDto outage, CancellationToken cancel = default) =>
        SendAsync<JournalOutageDto>(HttpMethod.Post, "/v1/chaos/journal-outage", outage, cancel);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: ApiJson.Options);
        }
        using var response = await http.SendAsync(request, cancel);
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemAsync(response, cancel);
        }
        return await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancel)
            ?? throw new DprApiException((int)response.StatusCode, "Empty answer", $"{method} {path} answered no body", null, null);
    }

    private static async Task<DprApiException> ProblemAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        var text = await response.Content.ReadAsStringAsync(cancel);
        var retry = response.Headers.RetryAfter?.Delta;
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new DprApiException((int)response.StatusCode, Text("title") ?? response.ReasonPhrase ?? "", Text("detail") ?? text, Text("field"), retry);
        }
        catch (JsonException)
        {
            return new DprApiException((int)response.StatusCode, response.ReasonPhrase ?? "", text, null, retry);
        }
    }

    public void Dispose() => http.Dispose();
}
