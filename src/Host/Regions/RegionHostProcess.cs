using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Dpr.Host.Regions;

/// <summary>A <c>dpr region-host</c> child process (run as <c>dotnet dpr.dll</c>), its output lines, and SIGKILL.</summary>
internal sealed class RegionHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RegionHostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            // Let the redirected output reach its end first: the ready line may still be in the pipe.
            process.WaitForExit();
            _ready.TrySetException(new RegionHostException($"region-host exited before it was ready:{Environment.NewLine}{Tail()}"));
        };
    }

    public IReadOnlyCollection<string> Lines => _lines;

    public static RegionHostProcess Start(string dataDirectory, int seed, int? swaps = null)
    {
        var info = new ProcessStartInfo(DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(RegionHostCommand).Assembly.Location);
        info.ArgumentList.Add("region-host");
        info.ArgumentList.Add("--data");
        info.ArgumentList.Add(dataDirectory);
        info.ArgumentList.Add("--seed");
        info.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));
        if (swaps is { } n)
        {
            info.ArgumentList.Add("--swaps");
            info.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
        }
        var process = new Process { StartInfo = info };
        var host = new RegionHostProcess(process);
        if (!process.Start())
        {
            throw new RegionHostException($"could not start {info.FileName} {string.Join(' ', info.ArgumentList)}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>The <c>ready ...</c> line, once recovery has settled in the child.</summary>
    /// <exception cref="RegionHostException">It exited first, printed <c>not-ready</c>, or took longer than <paramref name="timeout"/>.</exception>
    public string WaitReady(TimeSpan timeout)
    {
        if (!_ready.Task.Wait(timeout))
        {
            throw new RegionHostException($"region-host was not ready within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
        }
        return _ready.Task.Result;
    }

    /// <summary>SIGKILL: no shutdown hook, no flush, no journal close.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new RegionHostException($"region-host did not exit within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
        }
        // The parameterless overload also waits for the redirected output to be read to its end.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Tail(int count = 20) => string.Join(Environment.NewLine, _lines.TakeLast(count));

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        _lines.Enqueue(line);
        if (line.StartsWith(RegionHostCommand.ReadyPrefix, StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }
        else if (line.StartsWith(RegionHostCommand.NotReadyPrefix, StringComparison.Ordinal))
        {
            _ready.TrySetException(new RegionHostException($"region-host did not settle: {line}"));
        }
    }

    /// <summary>The <c>dotnet</c> running us (a test host or <c>dotnet dpr.dll</c>), else the SDK's, else the one on PATH.</summary>
    internal static string DotnetPath()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } sdk ? sdk : "dotnet";
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }
}
