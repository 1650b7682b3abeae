using Dpr.Host.Service;

namespace Dpr.Host.Bench.Soak;

/// <summary>
/// The soak's <c>dpr serve</c> process: always the same data directory, port and settings, so a restart
/// is what a service manager does. A restart that goes wrong (a SIGTERM that does not end in exit code
/// 0 within a minute, a start that is not ready within two) is recorded in <see cref="Failures"/> and the
/// start is tried again, as <c>Restart=on-failure</c> would.
/// </summary>
internal sealed class SoakServer(string data, IReadOnlyDictionary<string, string> environment) : IDisposable
{
    private readonly int _port = ServeProcess.FreePort();
    private readonly List<string> _failures = [];
    private ServeProcess? _process;

    public Uri Url => new($"http://127.0.0.1:{_port}");

    public int ProcessId => _process?.Id ?? 0;

    public IReadOnlyList<string> Failures => _failures;

    public async Task StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            _process = ServeProcess.Start(data, _port, environment);
            try
            {
                await _process.WaitReadyAsync(TimeSpan.FromSeconds(120));
                return;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException && attempt < 5)
            {
                _failures.Add($"start {attempt} failed: {e.Message}");
                _process.Dispose();
                _process = null;
            }
        }
    }

    public async Task RestartAsync(bool kill)
    {
        var process = _process!;
        _process = null;
        try
        {
            if (!kill)
            {
                process.Terminate();
                if (process.WaitForExit(TimeSpan.FromSeconds(60)) is var code and not 0)
                {
                    _failures.Add($"SIGTERM ended in exit code {code}:{Environment.NewLine}{process.Tail(10)}");
                }
            }
        }
        catch (TimeoutException e)
        {
            _failures.Add(e.Message);
        }
        finally
        {
            process.Dispose();
        }
        await StartAsync();
    }

    /// <summary>SIGTERM and the exit code.</summary>
    public int Stop()
    {
        var process = _process!;
        _process = null;
        using (process)
        {
            process.Terminate();
            return process.WaitForExit(TimeSpan.FromSeconds(60));
        }
    }

    public void Dispose() => _process?.Dispose();
}
