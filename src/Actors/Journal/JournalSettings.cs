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

    public string Hocon
    {
        get
        {
            var connection = JsonSerializer.Serialize(ConnectionString);
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
                      connection-string = {{connection}}
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
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // WAL is a property of the file; synchronous stays at its default (FULL) on the journal's own connections.
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
