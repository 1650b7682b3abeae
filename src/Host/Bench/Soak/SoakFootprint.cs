using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dpr.Host.Bench.Soak;

/// <summary>What a long-running service holds at one moment: its resident memory, the bytes under its data directory, and the rows of every journal table.</summary>
internal sealed record SoakFootprint(long RssBytes, long DataBytes, long JournalRows)
{
    /// <param name="postgres">The journal's connection string when it is PostgreSQL; else the SQLite files under the data directory are counted.</param>
    /// <returns>Null while the journal's server cannot be asked (it is being restarted).</returns>
    public static SoakFootprint? Measure(int pid, string data, string? postgres)
    {
        try
        {
            return new(ProcessMemory.Rss(pid), DirectoryBytes(data), postgres is null ? SqliteRows(data) : PostgresRows(postgres));
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>The larger of each figure.</summary>
    public static SoakFootprint Max(SoakFootprint? a, SoakFootprint b) =>
        a is null ? b : new(Math.Max(a.RssBytes, b.RssBytes), Math.Max(a.DataBytes, b.DataBytes), Math.Max(a.JournalRows, b.JournalRows));

    private static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f =>
        {
            try
            {
                return f.Length;
            }
            catch (FileNotFoundException)
            {
                return 0L;
            }
        });

    private static long SqliteRows(string data)
    {
        long rows = 0;
        foreach (var file in Directory.EnumerateFiles(data, "*.db"))
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            foreach (var table in Query<string>(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
            {
                rows += Query<long>(connection, $"SELECT COUNT(*) FROM \"{table}\"").Single();
            }
        }
        return rows;
    }

    private static long PostgresRows(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        long rows = 0;
        foreach (var table in Query<string>(connection, "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"))
        {
            rows += Query<long>(connection, $"SELECT COUNT(*) FROM {table}").Single();
        }
        return rows;
    }

    private static List<T> Query<T>(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add((T)Convert.ChangeType(reader.GetValue(0), typeof(T), CultureInfo.InvariantCulture));
        }
        return values;
    }
}
