using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dpr.Host.Regions;

namespace Dpr.Host.Service;

/// <summary>
/// A <c>dpr serve</c> child process (<c>dotnet dpr.dll serve</c>) on a loopback port: for the
/// process tests and <c>dpr bench http</c>. Stopped with SIGTERM, as a service manager would.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();

    private ServeProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Id => _process.Id;

    /// <param name="environment">Extra environment, e.g. <c>DPR__MAXOPENJOBS</c>.</param>
    /// <param name="arguments">More arguments of <c>dpr serve</c>, e.g. <c>--load-static</c>.</param>
    public static ServeProcess Start(string dataDirectory, int port, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? arguments = null)
    {
        var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var info = new ProcessStartInfo(RegionHostProcess.DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { typeof(ServeProcess).Assembly.Location, "serve", "--data", dataDirectory, "--urls", url.ToString().TrimEnd('/') }.Concat(arguments ?? []))
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var serve = new ServeProcess(process, url);
        process.OutputDataReceived += (_, e) => serve.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => serve.OnLine(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {info.FileName} {string.Join(' ', info.ArgumentList)}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return serve;
    }

    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <c>/readyz</c> until it answers 200.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dpr serve exited with {_process.ExitCode} before it was ready:{Environment.NewLine}{Tail()}");
            }
            try
            {
                if ((await client.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but slow to answer (a loaded machine, the first requests' JIT): ask again.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"dpr serve was not ready within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
    }

    /// <summary>SIGTERM: the graceful stop.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash or a power cut of its host.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; killed (and an exception) past <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill();
            throw new TimeoutException($"dpr serve did not exit within {timeout.TotalSeconds:0} s of SIGTERM:{Environment.NewLine}{Tail()}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Tail(int count = 30) => string.Join(Environment.NewLine, _lines.TakeLast(count).Select(l => l.Line));

    /// <summary>When the first line of output containing <paramref name="text"/> arrived at or after <paramref name="since"/> (UTC), if one did.</summary>
    public DateTime? FirstLine(string text, DateTime since) =>
        _lines.FirstOrDefault(l => l.At >= since && l.Line.Contains(text, StringComparison.Ordinal)) is { Line: not null } found ? found.At : null;

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue((DateTime.UtcNow, line));
            // A long-running child (dpr bench soak) keeps only its latest lines.
            while (_lines.Count > 1000 && _lines.TryDequeue(out _))
            {
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
