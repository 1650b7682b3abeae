using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Dpr.Actors.Journal;

/// <summary>
/// A throwaway PostgreSQL cluster for tests and benchmarks: <c>initdb</c> into a temporary
/// directory, <c>pg_ctl start</c> on a free local port (TCP on 127.0.0.1 only, its unix socket in the
/// same directory), trust authentication, one database; stopped and deleted on dispose. When run as
/// root the server runs as the <c>postgres</c> OS user, because <c>initdb</c> and <c>postgres</c>
/// refuse to run as root.
/// </summary>
public sealed class TemporaryPostgresCluster : IDisposable
{
    /// <summary>Where the Debian packages put the server binaries (<c>/usr/lib/postgresql/15/bin</c>).</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    private const string OsUser = "postgres";

    private readonly string _bin;
    private readonly string _dataDirectory;
    private readonly bool _asPostgresUser;
    private bool _running;

    private TemporaryPostgresCluster(string bin, string directory, bool asPostgresUser, int port, string database, string? password)
    {
        _bin = bin;
        Directory = directory;
        _dataDirectory = Path.Combine(directory, "data");
        _asPostgresUser = asPostgresUser;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = OsUser,
            Database = database,
            Password = password,
            Pooling = true,
        }.ToString();
    }

    /// <summary>The temporary directory holding the data directory, the socket and the server log.</summary>
    public string Directory { get; }

    public int Port { get; }

    public string ConnectionString { get; }

    public JournalSettings Journal => JournalSettings.PostgreSql(ConnectionString);

    /// <summary>The server binaries' directory, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("DPR_POSTGRES_BIN") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "pg_ctl")) ? configured : null;
        }
        if (System.IO.Directory.Exists(DebianRoot))
        {
            var newest = System.IO.Directory.GetDirectories(DebianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return newest.Dir;
            }
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>Creates, starts and opens a cluster with database <paramref name="database"/>.</summary>
    /// <param name="password">
    /// The superuser's password, required over TCP (SCRAM) and part of <see cref="ConnectionString"/>;
    /// without one every connection is trusted.
    /// </param>
    /// <exception cref="PostgresClusterException">The binaries are missing, or a step failed (its output is in the message).</exception>
    public static TemporaryPostgresCluster Start(string database = "dpr", string? password = null)
    {
        var bin = FindBinaries() ?? throw new PostgresClusterException(
            $"PostgreSQL server binaries (initdb, pg_ctl) were not found in DPR_POSTGRES_BIN, {DebianRoot}/*/bin or PATH; " +
            "install them (apt-get install postgresql; .ci/run does this) or set DPR_SKIP_POSTGRES=1 to skip the tests that need them");
        var asPostgresUser = Environment.IsPrivilegedProcess;
        var directory = Path.Combine(Path.GetTempPath(), $"dpr-pg-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new TemporaryPostgresCluster(bin, directory, asPostgresUser, FreePort(), database, password);
        try
        {
            cluster.Initialize(database, password);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private void Initialize(string database, string? password)
    {
        if (_asPostgresUser)
        {
            Run("chown", [$"{OsUser}:{OsUser}", Directory]);
        }
        string[] authentication = ["-A", "trust"];
        var passwordFile = Path.Combine(Directory, "password");
        if (password is not null)
        {
            File.WriteAllText(passwordFile, password + "\n");
            authentication = ["--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={passwordFile}"];
        }
        try
        {
            // --no-sync: initdb's own files need no fsync for a throwaway cluster; the server's fsync stays on.
            RunServerTool("initdb", ["-D", _dataDirectory, "-U", OsUser, .. authentication, "-E", "UTF8", "--locale=C", "--no-sync"]);
        }
        finally
        {
            File.Delete(passwordFile);
        }
        StartServer();
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ToString();
        using var connection = new NpgsqlConnection(admin);
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = $"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        create.ExecuteNonQuery();
    }

    /// <summary>Starts the server (again, after <see cref="StopServer"/>) on the same port.</summary>
    public void StartServer()
    {
        var options = $"-p {Port} -k {Directory} -c listen_addresses=127.0.0.1";
        RunServerTool("pg_ctl", ["-D", _dataDirectory, "-o", options, "-l", Path.Combine(Directory, "server.log"), "-w", "-t", "60", "start"]);
        _running = true;
    }

    /// <summary>Stops the server as an outage would (<c>pg_ctl stop -m immediate</c>): open connections break, new ones are refused.</summary>
    public void StopServer()
    {
        RunServerTool("pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"]);
        _running = false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void RunServerTool(string tool, IReadOnlyList<string> args)
    {
        var path = Path.Combine(_bin, tool);
        if (_asPostgresUser)
        {
            Run("runuser", ["-u", OsUser, "--", path, .. args]);
        }
        else
        {
            Run(path, args);
        }
    }

    private static void Run(string file, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The server keeps the inherited descriptors otherwise, and a test runner waiting on its output would hang.
            RedirectStandardInput = true,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new PostgresClusterException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new PostgresClusterException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}".Trim());
        }
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        if (_running)
        {
            _running = false;
            try
            {
                RunServerTool("pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"]);
            }
            catch (PostgresClusterException e)
            {
                // Leave the directory for inspection rather than deleting under a live server.
                Console.Error.WriteLine($"dpr: could not stop the temporary PostgreSQL cluster in {Directory}: {e.Message}");
                return;
            }
        }
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
