using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// Where every event and snapshot goes: Akka.Persistence.Sql (linq2db) over SQLite by default or
/// PostgreSQL, configured by HOCON (journal <c>SqlWriteJournal</c>, snapshots <c>SqlSnapshotStore</c>,
/// tables created on first use). SQLite takes one writer at a time and runs in WAL mode, so readers
/// never block the journal and a killed process leaves a consistent file.
/// </summary>
public sealed record JournalSettings(JournalProvider Provider, string ConnectionString)
{
    public static JournalSettings Sqlite(string path) =>
        new(JournalProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString());

    public static JournalSettings PostgreSql(string connectionString) => new(JournalProvider.PostgreSql, connectionString);

    /// <summary>The linq2db provider names (<c>LinqToDB.ProviderName</c>).</summary>
    private string ProviderName => Provider == JournalProvider.Sqlite ? "SQLite.MS" : "PostgreSQL.15";

    /// <summary>The journal and snapshot store configuration, over the plugin's own defaults.</summary>
    public Akka.Configuration.Config Config =>
        Akka.Configuration.ConfigurationFactory.ParseString(Hocon).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);

    /// <summary>
    /// Where snapshots go. For SQLite a file of their own beside the journal (<c>dpr.db</c> →
    /// <c>dpr.snapshots.db</c>): SQLite has one writer per file, and a snapshot written while the
    /// journal commits made the journal's write wait out Microsoft.Data.Sqlite's busy retry, a fixed
    /// 150 ms sleep (measured by <c>dpr bench regions</c>: p99 of a swap 154 ms with one file, 15 ms with two).
    /// </summary>
    public string SnapshotConnectionString
    {
        get
        {
            if (Provider != JournalProvider.Sqlite)
            {
                return ConnectionString;
            }
            var builder = new SqliteConnectionStringBuilder(ConnectionString);
            builder.DataSource = Path.ChangeExtension(builder.DataSource, ".snapshots" + Path.GetExtension(builder.DataSource));
            return builder.ToString();
        }
    }

    public string Hocon
    {
        get
        {
            var connection = JsonSerializer.Serialize(ConnectionString);
            var snapshots = JsonSerializer.Serialize(SnapshotConnectionString);
            var parallelism = Provider == JournalProvider.Sqlite ? 1 : 3;
            return $$"""
                akka.persistence {
                  journal {
                    plugin = "akka.persistence.journal.sql"
                    sql {
                      connection-string = {{connection}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = true
                      parallelism = {{parallelism}}
                      # The job intake persists up to 512 acceptances at once: let them share a round trip.
                      batch-size = 1000
                    }
                  }
                  snapshot-store {
                    plugin = "akka.persistence.snapshot-store.sql"
                    sql {
                      connection-string = {{snapshots}}
                      provider-name = "{{ProviderName}}"
                      auto-initialize = true
                    }
                  }
                }
                """;
        }
    }

    /// <summary>For SQLite: the directory exists and the database is in WAL mode before the journal opens it.</summary>
    public void Prepare()
    {
        if (Provider != JournalProvider.Sqlite)
        {
            return;
        }
        var path = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
        foreach (var file in new[] { ConnectionString, SnapshotConnectionString })
        {
            using var connection = new SqliteConnection(file);
            connection.Open();
            using var command = connection.CreateCommand();
            // WAL is a property of the file; synchronous stays at its default (FULL) on the journal's own connections.
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
    }
}
