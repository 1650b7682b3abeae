using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.Host.Service;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Tests.Api;

/// <summary>A nearly full disk refuses new jobs with 507 naming the data directory and its free bytes, and loses nothing already accepted.</summary>
public sealed class DiskSpaceTests
{
    private const long Minimum = 64L * 1024 * 1024;

    [Fact]
    public async Task A_full_disk_refuses_new_jobs_with_507_and_the_accepted_ones_still_complete()
    {
        var free = long.MaxValue;
        string? data = null;
        await using var server = await ApiServer.StartAsync(customize: builder =>
        {
            data = Path.GetFullPath(builder.Configuration["Dpr:Data"]!);
            builder.Services.AddSingleton(new DiskSpace(data, Minimum, _ => free));
        });
        var alice = server.Client("alice");
        var jobs = Enumerable.Range(0, 4).Select(i => TestJobs.Make("conv3x3_int8", [1, 2, 12, 10], [3, 2, 3, 3], seed: i)).ToList();
        var accepted = new List<(Guid Id, byte[] Expected)>();
        foreach (var (job, expected) in jobs)
        {
            accepted.Add(((await TestJobs.SubmitAsync(alice, job)).Id, expected));
        }

        free = 10 * 1024 * 1024;
        // A large input would go to the blob store: it is refused before anything is written.
        var (big, _) = TestJobs.Make("conv3x3_int8", [1, 4, 128, 128], [3, 4, 3, 3], seed: 9);
        var blobs = Path.Combine(data!, "blobs");
        var blobsBefore = Directory.Exists(blobs) ? Directory.GetFiles(blobs).Length : 0;
        foreach (var job in new[] { jobs[0].Job, big })
        {
            var refused = await alice.PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);
            Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("disk", 507), (problem.GetProperty("field").GetString(), problem.GetProperty("status").GetInt32()));
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains(data!, detail);
            Assert.Contains($"{10 * 1024 * 1024} bytes free", detail);
        }
        Assert.Equal(blobsBefore, Directory.Exists(blobs) ? Directory.GetFiles(blobs).Length : 0);

        foreach (var (id, expected) in accepted)
        {
            Assert.Equal("completed", (await TestJobs.WaitAsync(alice, id)).State);
            var result = (await alice.GetFromJsonAsync<ResultDto>($"/v1/jobs/{id}/result", ApiJson.Options))!;
            Assert.Equal(Convert.ToBase64String(expected), result.Data);
        }

        free = Minimum;
        await TestJobs.SubmitAsync(alice, jobs[0].Job);
    }

    [Fact]
    public void A_write_to_a_full_disk_is_recognized_by_its_error_code()
    {
        Assert.True(DiskSpace.IsFull(new IOException("No space left on device", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28)));
        Assert.False(DiskSpace.IsFull(new IOException("Permission denied", 13)));
        if (OperatingSystem.IsLinux())
        {
            // The kernel's own ENOSPC, as .NET reports it.
            var full = Assert.ThrowsAny<IOException>(() => File.WriteAllBytes("/dev/full", [1]));
            Assert.True(DiskSpace.IsFull(full), $"HResult {full.HResult}: {full.Message}");
        }
    }

    [Fact]
    public void The_free_space_of_a_directory_is_read_from_its_filesystem_and_the_check_can_be_turned_off()
    {
        Assert.True(DiskSpace.Available(Path.Combine(Path.GetTempPath(), $"not-yet-{Guid.NewGuid():N}")) > 0);
        Assert.Equal(5, new DiskSpace("d", 10, _ => 5).Short());
        Assert.Null(new DiskSpace("d", 10, _ => 10).Short());
        Assert.Null(new DiskSpace("d", 0, _ => 0).Short());
    }
}
