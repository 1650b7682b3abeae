using System.Security.Cryptography;
using Dpr.Actors.Journal;
using Npgsql;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs in the journal's PostgreSQL database (table <c>dpr_blobs</c> in the journal's schema),
/// keyed by their SHA-256 like the files of <see cref="BlobStore"/>: a job accepted by one host names a
/// blob every host on that database can read. Written before the job that names it is accepted, once
/// per content. The table is created by <see cref="JournalSchema"/>. The grace of a deletion is measured
/// on the database's clock from the latest put of the content (<c>put_at</c>), so it covers a submission
/// on its way on any host.
/// </summary>
public sealed class PostgresBlobStore : IBlobStore
{
    private readonly string _connectionString;
    private readonly string _table;

    public PostgresBlobStore(JournalSettings journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _connectionString = journal.ConnectionString;
        _table = JournalSchema.Table(journal, "dpr_blobs");
    }

    /// <summary>The table, created if missing (by <see cref="JournalSchema"/>, under its lock).</summary>
    internal static string Ddl(string table) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
          key text PRIMARY KEY,
          data bytea NOT NULL,
          put_at timestamptz NOT NULL DEFAULT now());
        """;

    /// <exception cref="NpgsqlException">The database could not be reached: the job is not accepted.</exception>
    public string Put(ReadOnlySpan<byte> data)
    {
        var key = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
        using var connection = Open();
        using var command = new NpgsqlCommand($"INSERT INTO {_table} (key, data) VALUES (@key, @data) ON CONFLICT (key) DO UPDATE SET put_at = now()", connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("data", data.ToArray());
        command.ExecuteNonQuery();
        return key;
    }

    public byte[] Get(string key)
    {
        byte[]? data;
        try
        {
            using var connection = Open();
            using var command = new NpgsqlCommand($"SELECT data FROM {_table} WHERE key = @key", connection);
            command.Parameters.AddWithValue("key", key);
            data = command.ExecuteScalar() as byte[];
        }
        catch (NpgsqlException e)
        {
            throw new IOException($"blob {key} could not be read from {_table}: {JournalProbe.Describe(e)}", e);
        }
        if (data is null)
        {
            throw new IOException($"blob {key} is missing from {_table}");
        }
        if (!string.Equals(Convert.ToHexString(SHA256.HashData(data)), key, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"blob {key} in {_table} does not match its hash");
        }
        return data;
    }

    public bool Delete(string key, TimeSpan grace)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE key = @key AND put_at < now() - @grace; SELECT count(*) FROM {_table} WHERE key = @key", connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("grace", grace);
        return (long)command.ExecuteScalar()! == 0;
    }

    /// <summary>A page of keys at a time, in key order: memory does not grow with the blobs stored.</summary>
    public int DeleteUnnamed(Func<string, bool> named, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(named);
        const int page = 1000;
        var (after, deleted) = ("", 0);
        while (true)
        {
            var keys = new List<string>(page);
            using var connection = Open();
            using (var select = new NpgsqlCommand($"SELECT key FROM {_table} WHERE put_at < now() - @grace AND key > @after ORDER BY key LIMIT @page", connection))
            {
                select.Parameters.AddWithValue("grace", grace);
                select.Parameters.AddWithValue("after", after);
                select.Parameters.AddWithValue("page", page);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    keys.Add(reader.GetString(0));
                }
            }
            using (var delete = new NpgsqlCommand($"DELETE FROM {_table} WHERE key = ANY(@keys) AND put_at < now() - @grace", connection))
            {
                delete.Parameters.AddWithValue("keys", keys.Where(key => !named(key)).ToArray());
                delete.Parameters.AddWithValue("grace", grace);
                deleted += delete.ExecuteNonQuery();
            }
            if (keys.Count < page)
            {
                return deleted;
            }
            after = keys[^1];
        }
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
