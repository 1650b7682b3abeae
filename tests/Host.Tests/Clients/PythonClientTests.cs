using System.Diagnostics;
using Dpr.Host.Service;
using Dpr.Host.Tests.Hardware;

namespace Dpr.Host.Tests.Clients;

/// <summary>
/// The Python client's own tests (clients/python, <c>unittest</c>), run by <c>dotnet test</c> so the
/// README's one test command covers them: they start real <c>dpr serve</c> processes of this build, and
/// test_package.py pip-installs the package offline into fresh virtual environments made by Debian's
/// python3 (with python3-venv, python3-setuptools, python3-numpy, python3-nbclient, as .ci/run installs)
/// and runs the original example and the notebook there.
/// Needs python3 on PATH; <c>DPR_SKIP_PYTHON=1</c> reports the test as skipped instead.
/// </summary>
public class PythonClientTests
{
    [PythonFact]
    public void The_python_client_passes_its_unittest_suite_against_real_servers()
    {
        var info = new ProcessStartInfo("python3") { WorkingDirectory = RepositoryRoot.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-m", "unittest", "discover", "-s", "clients/python/tests", "-t", "clients/python" })
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DPR_DLL"] = typeof(ServeCommand).Assembly.Location;
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("python3 is not on PATH: install it (apt-get install python3, as .ci/run does) or set DPR_SKIP_PYTHON=1", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            // About 2 minutes here (a dozen servers, two virtual environments, a notebook kernel); the limit
            // only turns a hang into a named failure on a loaded 2-core machine.
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), "the Python tests took more than 10 minutes");
            Assert.True(process.ExitCode == 0, $"python3 -m unittest failed:{Environment.NewLine}{output.Result}{error.Result}");
            Assert.Matches(@"Ran [1-9]\d* tests", error.Result);
        }
    }
}

/// <summary>A test that needs python3; DPR_SKIP_PYTHON=1 reports it as skipped, so it never passes without having run.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DPR_SKIP_PYTHON") == "1")
        {
            Skip = "DPR_SKIP_PYTHON=1";
        }
    }
}
