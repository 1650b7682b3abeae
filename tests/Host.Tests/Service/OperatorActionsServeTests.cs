using System.Net;
using System.Net.Http.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Dpr.Host.Tests.Api;
using Microsoft.Data.Sqlite;
using Eventually = Dpr.TestKit.Eventually;
using Xunit.Abstractions;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// The real <c>dpr serve</c> process on its embedded default (simulated pynq-z2, partition
/// <c>conv</c>) around an operator's actions between jobs: a load of another module, a fault by an
/// upset storm and its reset, a single upset. Each once left a job running forever while the job
/// journal grew by millions of JobStarted events: every job must complete with the reference result,
/// the data directory must stay small, and SIGTERM must still stop the service.
/// </summary>
public class OperatorActionsServeTests(ITestOutputHelper output)
{
    private const string Partition = "conv";
    private const string First = "conv3x3_int8";
    private const string Other = "conv3x3_int16";

    /// <summary>How long any state (a job, a region) may take to arrive; a deadline for polling, not a timed assertion.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Jobs_of_the_loaded_module_complete_after_operator_loads_of_another_module()
    {
        await RunAsync(async service =>
        {
            await service.RunAndCheckAsync(First, 1, expectedPartition: Partition);

            // The reported case: a job completed, the operator loads another module, the same module again.
            await service.LoadAsync("conv5x5_int16");
            await service.RunAndCheckAsync(First, 3, expectedPartition: Partition, andOneOf: Other);

            // Then loads that race jobs still queued or running.
            for (var round = 0; round < 3; round++)
            {
                var jobs = await service.SubmitAsync(First, 3, andOneOf: Other);
                await service.LoadAsync(round % 2 == 0 ? "conv5x5_int16" : "conv5x5_int32");
                jobs.AddRange(await service.SubmitAsync(First, 2));
                await service.CheckAsync(jobs, expectedPartition: Partition);
            }
        });
    }

    [Fact]
    public async Task A_partition_faulted_by_upsets_runs_jobs_on_the_cpu_and_on_the_partition_again_after_a_reset()
    {
        await RunAsync(async service =>
        {
            await service.RunAndCheckAsync(First, 1, expectedPartition: Partition);

            // More than 10 upset reloads within a minute fault the partition (RegionOptions.MaxUpsetReloadsPerMinute).
            RegionDto region = await service.RegionAsync();
            for (var upset = 1; upset <= 12 && region.Status != "Faulted"; upset++)
            {
                region = await service.UpsetAsync(region);
            }
            Assert.True(region.Status == "Faulted", $"not faulted after 12 upsets: {region}{Environment.NewLine}{service.Tail()}");
            Assert.Contains("upsets within a minute", region.FaultReason, StringComparison.Ordinal);

            // Every partition of the board is faulted: jobs run on the CPU, with the same results.
            await service.RunAndCheckAsync(First, 3, expectedPartition: "cpu", andOneOf: Other);

            var response = await service.Admin.PostAsync($"/v1/regions/{Partition}/reset", null);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            Assert.NotEqual("Faulted", (await response.Content.ReadFromJsonAsync<RegionDto>(ApiJson.Options))!.Status);

            await service.RunAndCheckAsync(First, 3, expectedPartition: Partition, andOneOf: Other);
            await service.RunAndCheckAsync(First, 2, expectedPartition: Partition);
            Assert.Equal("Loaded", (await service.RegionAsync()).Status);
        });
    }

    [Fact]
    public async Task Jobs_complete_after_an_upset_reload_and_the_swap_history_names_the_upset()
    {
        await RunAsync(async service =>
        {
            await service.RunAndCheckAsync(First, 1, expectedPartition: Partition);

            var region = await service.UpsetAsync(await service.RegionAsync());
            Assert.Equal("Loaded", region.Status);
            Assert.Equal(First, region.Module);

            await service.RunAndCheckAsync(First, 3, expectedPartition: Partition, andOneOf: Other);
            await service.RunAndCheckAsync(First, 2, expectedPartition: Partition);

            var swaps = (await service.Alice.GetFromJsonAsync<SwapPageDto>($"/v1/swaps?partition={Partition}&limit=1000", ApiJson.Options))!;
            Assert.Contains(swaps.Swaps, s => s.Module == First && s.Outcome == "completed" && s.Reason is { } reason && reason.Contains("upset", StringComparison.Ordinal));
        });
    }

    /// <summary>
    /// A fresh data directory with a tenant and an admin, the service on it, <paramref name="scenario"/>;
    /// then what every scenario must leave: every job completed, a small data directory, no job started
    /// more than the driver's bound, and a clean stop on SIGTERM.
    /// </summary>
    private async Task RunAsync(Func<Service, Task> scenario)
    {
        var data = Path.Combine(Path.GetTempPath(), $"dpr-operator-{Guid.NewGuid():N}");
        try
        {
            var alice = ServeTenants.Key("alice", data);
            var ops = ServeTenants.Key("ops", data, "--admin");
            using var process = ServeProcess.Start(data, ServeProcess.FreePort());
            await process.WaitReadyAsync(Deadline);
            using var service = new Service(process, alice, ops);

            await scenario(service);

            var jobs = (await service.Alice.GetFromJsonAsync<JobListDto>("/v1/jobs?limit=1000", ApiJson.Options))!.Jobs;
            Assert.Equal(service.Submitted.Order(), jobs.Select(j => j.Id).Order());
            Assert.All(jobs, j => Assert.Equal("completed", j.State));

            // Measured while the service still runs: 2.9 to 3.2 MB after the loads (23 jobs), 2.7 to 2.9 MB after the fault
            // and reset (11 jobs), 1.9 MB after one upset (7 jobs); 0.9 MB of it is the module catalog, most of the
            // rest SQLite WAL files. The reported runaway grew the job journal by about 10 MB a second.
            var bytes = DirectoryBytes(data);
            output.WriteLine($"data directory: {bytes:N0} bytes, {jobs.Count} jobs");
            Assert.True(bytes < 12_000_000, $"the data directory holds {bytes:N0} bytes after {jobs.Count} jobs:{Environment.NewLine}{Listing(data)}");

            // A job is started at most 3 times (SchedulingDriver.DefaultMaxStarts), then fails. Counted while the
            // service runs: a graceful stop snapshots the intake and deletes the events the snapshot covers.
            var starts = JobStartedEvents(data);
            output.WriteLine($"JobStarted events: {starts}");
            Assert.InRange(starts, jobs.Count, 3 * jobs.Count);

            process.Terminate();
            Assert.Equal(0, process.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static long DirectoryBytes(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static string Listing(string directory) =>
        string.Join(Environment.NewLine, Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(f => $"{new FileInfo(f).Length,12:N0} {Path.GetRelativePath(directory, f)}"));

    /// <summary>The JobStarted events in every SQLite journal of the data directory (Akka.Persistence.Sql's <c>journal</c> table).</summary>
    private static long JobStartedEvents(string data)
    {
        long count = 0;
        var journals = Directory.EnumerateFiles(data, "*.db", SearchOption.AllDirectories).ToList();
        foreach (var file in journals)
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var exists = connection.CreateCommand();
            exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'";
            if ((long)exists.ExecuteScalar()! == 0)
            {
                continue;
            }
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT count(*) FROM journal WHERE manifest = 'job-started.v1'";
            count += (long)select.ExecuteScalar()!;
        }
        Assert.True(journals.Count > 0, $"no SQLite journal under {data}");
        return count;
    }

    /// <summary>The running service, a tenant's and the admin's clients, and the jobs submitted with what they must give.</summary>
    private sealed class Service(ServeProcess process, string alice, string ops) : IDisposable
    {
        private readonly Dictionary<Guid, byte[]> _expected = [];
        private int _seed;

        public HttpClient Alice { get; } = ServeTenants.Client(process.Url, alice);

        public HttpClient Admin { get; } = ServeTenants.Client(process.Url, ops);

        public IEnumerable<Guid> Submitted => _expected.Keys;

        public string Tail() => process.Tail(60);

        /// <summary><paramref name="count"/> jobs of <paramref name="module"/> (and one of <paramref name="andOneOf"/>), accepted.</summary>
        public async Task<List<Guid>> SubmitAsync(string module, int count, string? andOneOf = null)
        {
            var ids = new List<Guid>();
            foreach (var name in Enumerable.Repeat(module, count).Concat(andOneOf is null ? [] : [andOneOf]))
            {
                var kernel = name.StartsWith("conv5x5", StringComparison.Ordinal) ? 5 : 3;
                var (job, expected) = TestJobs.Make(name, [1, 2, 10, 10], [2, 2, kernel, kernel], seed: ++_seed);
                var id = (await TestJobs.SubmitAsync(Alice, job)).Id;
                _expected[id] = expected;
                ids.Add(id);
            }
            return ids;
        }

        /// <summary>Every job completed, where expected, with the reference result.</summary>
        public async Task CheckAsync(IEnumerable<Guid> ids, string expectedPartition)
        {
            foreach (var id in ids)
            {
                var job = await TestJobs.WaitAsync(Alice, id, Deadline);
                Assert.True(job.State == "completed", $"job {id} ({job.Module}) is {job.State} ({job.Error}) on {job.Partition}:{Environment.NewLine}{Tail()}");
                Assert.True(job.Partition == expectedPartition, $"job {id} ({job.Module}) ran on {job.Partition}, not {expectedPartition}:{Environment.NewLine}{Tail()}");
                var result = (await Alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!;
                Assert.Equal(Convert.ToBase64String(_expected[id]), result.Data);
            }
        }

        public async Task RunAndCheckAsync(string module, int count, string expectedPartition, string? andOneOf = null) =>
            await CheckAsync(await SubmitAsync(module, count, andOneOf), expectedPartition);

        /// <summary>An operator's load of <paramref name="module"/> into the partition: a swap, not a hit.</summary>
        public async Task LoadAsync(string module)
        {
            var response = await Admin.PostAsJsonAsync($"/v1/regions/{Partition}/load", new LoadDto(module), ApiJson.Options);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}{Environment.NewLine}{Tail()}");
            Assert.Equal(new LoadedDto(Partition, module, Hit: false), await response.Content.ReadFromJsonAsync<LoadedDto>(ApiJson.Options));
        }

        public async Task<RegionDto> RegionAsync() =>
            Assert.Single((await Alice.GetFromJsonAsync<RegionListDto>("/v1/regions", ApiJson.Options))!.Regions, r => r.Partition == Partition);

        /// <summary>
        /// One uncorrectable upset in the partition, then the region once its manager has dealt with it: the
        /// module reloaded (one more swap, Loaded) or the partition faulted.
        /// </summary>
        public async Task<RegionDto> UpsetAsync(RegionDto before)
        {
            var response = await Admin.PostAsJsonAsync($"/v1/regions/{Partition}/upset", new UpsetDto(Correctable: false), ApiJson.Options);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}{Environment.NewLine}{Tail()}");
            var injected = (await response.Content.ReadFromJsonAsync<InjectedUpsetDto>(ApiJson.Options))!;
            Assert.Equal((Partition, false), (injected.Partition, injected.Correctable));
            var region = before;
            await Eventually.TrueAsync(
                async () => (region = await RegionAsync()).Status == "Faulted" || (region.Status == "Loaded" && region.Swaps > before.Swaps),
                () => $"the partition reloaded or faulted after an upset, still {region} (before: {before}):{Environment.NewLine}{Tail()}",
                Deadline);
            return region;
        }

        public void Dispose()
        {
            Alice.Dispose();
            Admin.Dispose();
        }
    }
}
