using System.Net.Http.Headers;
using Dpr.Host.Tests.Cli;

namespace Dpr.Host.Tests.Service;

/// <summary>Tenants of a real <c>dpr serve</c> in tests: keys made with the CLI, clients that present them, and a data directory that is removed afterwards.</summary>
internal static class ServeTenants
{
    /// <summary>A new tenant's key (<c>dpr tenants add</c>; <paramref name="options"/> such as <c>--admin</c>).</summary>
    public static string Key(string tenant, string data, params string[] options)
    {
        var (exit, stdout, stderr) = CliRunner.Run(["tenants", "add", tenant, .. options, "--data", data]);
        Assert.True(exit == 0, stderr);
        return stdout.Trim().Split('\n')[^1].Trim();
    }

    public static HttpClient Client(Uri url, string key) =>
        new() { BaseAddress = url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };

    /// <summary>Runs <paramref name="test"/> with a fresh data directory under the temp folder, deleted afterwards whatever happens.</summary>
    public static async Task WithDataAsync(string prefix, Func<string, Task> test)
    {
        var data = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        try
        {
            await test(data);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
