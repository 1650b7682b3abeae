using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dpr.Actors.Journal;
using Dpr.Host.Api;

namespace Dpr.Host.Bench.Soak;

/// <summary>
/// The operator and the weather of the soak: at random moments an admin loads a module by hand,
/// resets a faulted partition, injects an SEM upset (in the partition or the static design), a port
/// fault or (SQLite) a short journal outage through the chaos endpoints, restarts the PostgreSQL server, or
/// the service is stopped (SIGTERM) or killed (SIGKILL) and started again on the same data directory
/// and port. Counts what it did; a disturbance the service refuses is fine, one it cannot answer
/// during a restart is skipped.
/// </summary>
/// <param name="postgres">The journal's server when it is PostgreSQL: restarted instead of an injected outage.</param>
internal sealed class SoakOperator(SoakServer server, string adminKey, IReadOnlyList<string> modules, string partition, TimeSpan every, TemporaryPostgresCluster? postgres, int seed)
{
    private static readonly string[] PortFaults = ["fail", "hang", "partial", "corrupt"];

    private readonly Random _random = new(seed);
    private readonly Dictionary<string, int> _done = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> Done => _done;

    public int Restarts => _done.GetValueOrDefault("sigterm") + _done.GetValueOrDefault("sigkill");

    public async Task RunAsync(CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every * (0.5 + _random.NextDouble()), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var roll = _random.NextDouble();
            var action = roll switch
            {
                < 0.30 => "load",
                < 0.50 => "upset",
                < 0.55 => "static-upset",
                < 0.70 => "port-fault",
                < 0.80 => postgres is null ? "journal-outage" : "postgres-restart",
                < 0.90 => "sigterm",
                _ => "sigkill",
            };
            try
            {
                await DoAsync(client, action);
                _done[action] = _done.GetValueOrDefault(action) + 1;
                // As an operator would: a faulted partition is reset.
                if (await client.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options) is { } regions
                    && regions.Regions.Any(r => r.Partition == partition && r.Status == "Faulted"))
                {
                    (await client.PostAsync($"/v1/regions/{partition}/reset", null)).Dispose();
                    _done["reset"] = _done.GetValueOrDefault("reset") + 1;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The service is restarting: this disturbance did not happen.
            }
        }
    }

    private async Task DoAsync(HttpClient client, string action)
    {
        switch (action)
        {
            case "load":
                (await client.PostAsJsonAsync($"/v1/regions/{partition}/load", new LoadDto(modules[_random.Next(modules.Count)]), ApiJson.Options)).Dispose();
                break;
            case "upset":
                (await client.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(partition, Correctable: _random.Next(2) == 0), ApiJson.Options)).Dispose();
                break;
            case "static-upset":
                (await client.PostAsJsonAsync("/v1/chaos/upsets", new ChaosUpsetDto(Static: true, Correctable: true), ApiJson.Options)).Dispose();
                break;
            case "port-fault":
                var kind = PortFaults[_random.Next(PortFaults.Length)];
                (await client.PostAsJsonAsync("/v1/chaos/port-faults", new ChaosPortFaultDto(kind, Count: 1 + _random.Next(2), HangSeconds: kind == "hang" ? 1 : null), ApiJson.Options)).Dispose();
                break;
            case "journal-outage":
                (await client.PostAsJsonAsync("/v1/chaos/journal-outage", new ChaosJournalOutageDto(Seconds: 2), ApiJson.Options)).Dispose();
                break;
            case "postgres-restart":
                postgres!.StopServer();
                await Task.Delay(TimeSpan.FromSeconds(2));
                postgres.StartServer();
                break;
            default:
                await server.RestartAsync(kill: action == "sigkill");
                break;
        }
    }
}
