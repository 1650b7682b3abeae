using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Dpr.Host.Regions;
using Dpr.Host.Service;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// <c>Type=notify</c> in deploy/dpr.service holds only if <c>dpr serve</c> tells the service manager
/// it is ready. Microsoft.Extensions.Hosting.Systemd speaks to systemd when the parent process is
/// called <c>systemd</c>: here the parent is a copy of bash by that name, and the notification socket
/// is the test's own, so the real process's READY=1 and STOPPING=1 are read as systemd would read them.
/// </summary>
public class SystemdNotifyServeTests
{
    [Fact]
    public async Task Under_systemd_serve_notifies_ready_once_it_answers_and_stopping_on_sigterm()
    {
        await ServeTenants.WithDataAsync("dpr-notify", async data =>
        {
            var socketPath = Path.Combine(data, "notify.sock");
            var pidFile = Path.Combine(data, "serve.pid");
            var fakeSystemd = Path.Combine(data, "systemd");
            Directory.CreateDirectory(data);
            File.Copy("/bin/bash", fakeSystemd);
            using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            notify.Bind(new UnixDomainSocketEndPoint(socketPath));
            var url = $"http://127.0.0.1:{ServeProcess.FreePort().ToString(CultureInfo.InvariantCulture)}";

            // The parent stays (no exec): dpr serve's parent is the process named systemd.
            var info = new ProcessStartInfo(fakeSystemd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-c", "\"$@\" & echo $! > \"$PIDFILE\"; wait $!", "systemd", RegionHostProcess.DotnetPath(), typeof(ServeProcess).Assembly.Location, "serve", "--data", data, "--urls", url })
            {
                info.ArgumentList.Add(argument);
            }
            info.Environment["NOTIFY_SOCKET"] = socketPath;
            info.Environment["PIDFILE"] = pidFile;
            using var parent = Process.Start(info)!;
            var output = new StringBuilder();
            parent.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            parent.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            parent.BeginOutputReadLine();
            parent.BeginErrorReadLine();
            try
            {
                var ready = await ReceiveAsync(notify, output);
                Assert.Contains("READY=1", ready);
                // Ready means serving: the health endpoint answers at once.
                using (var client = new HttpClient { BaseAddress = new Uri(url) })
                {
                    Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
                }

                using (var kill = Process.Start("kill", ["-TERM", File.ReadAllText(pidFile).Trim()]))
                {
                    await kill.WaitForExitAsync();
                }
                Assert.Contains("STOPPING=1", await ReceiveAsync(notify, output));
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await parent.WaitForExitAsync(exit.Token);
                Assert.True(parent.ExitCode == 0, $"exit {parent.ExitCode}:{Environment.NewLine}{output}");
            }
            finally
            {
                if (!parent.HasExited)
                {
                    parent.Kill(entireProcessTree: true);
                }
            }
        });
    }

    /// <summary>The next datagram on the notification socket (a deadline of 60 s, not a timed assertion).</summary>
    private static async Task<string> ReceiveAsync(Socket socket, StringBuilder output)
    {
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            return Encoding.UTF8.GetString(buffer, 0, received);
        }
        catch (OperationCanceledException)
        {
            lock (output)
            {
                throw new TimeoutException($"no notification within 60 s:{Environment.NewLine}{output}");
            }
        }
    }
}
