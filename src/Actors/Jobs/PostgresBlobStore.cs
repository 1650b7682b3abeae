using System.Security.Cryptography;
using Dpr.Actors.Journal;
using Npgsql;
using NpgsqlTypes;

namespace Dpr.Actors.Jobs;

/// <summary>
/// Large job inputs in the journal's PostgreSQL database (table <c>dpr_blobs</c> in the journal's schema),
/// keyed by their SHA-256 like the files of <see cref="BlobStore"/>: a job accepted by one host names a
/// blob every host on that database can read. Written before the job that names it is accepted, once
/// per content. The table is created by <see cref="JournalSchema"/>. The grace of a deletion is measured
/// on the database's clock from the latest put of the content (<c>put_at</c>), so it covers a submission
/// on its way on any host. An upload (<see cref="BeginPut"/>) is written to a local temporary file
/// first, since its key is known only at its end, and streamed into its row by the commit.
/// </summary>
public sealed class PostgresBlobStore : IBlobStore
{
    private readonly string _connectionString;
    private readonly string _table;
    private readonly BlobUploads _uploads;

    /// <param name="uploads">The directory of the uploads' temporary files (the service's is in its data directory); by default one of this process under the system's temporary directory.</param>
    public PostgresBlobStore(JournalSettings journal, string? uploads = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _connectionString = journal.ConnectionString;
        _table = JournalSchema.Table(journal, "dpr_blobs");
        _uploads = new BlobUploads(uploads ?? Path.Combine(Path.GetTempPath(), $"dpr-uploads-{Environment.ProcessId}"));
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
        using var upload = BeginPut();
        upload.Write(data);
        return upload.Commit();
    }

    /// <summary>A blob written as it arrives, stored by its commit (<see cref="BlobUpload"/>).</summary>
    /// <exception cref="NpgsqlException">(From the commit.) The database could not be reached: the job is not accepted.</exception>
    public BlobUpload BeginPut() => _uploads.Begin(Store);

    private string Store(BlobUpload upload)
    {
        using var data = new FileStream(upload.TemporaryPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        using var connection = Open();
        using var command = new NpgsqlCommand($"INSERT INTO {_table} (key, data) VALUES (@key, @data) ON CONFLICT (key) DO UPDATE SET put_at = now()", connection);
        command.Parameters.AddWithValue("key", upload.Key);
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Bytea) { Value = data });
        command.ExecuteNonQuery();
        return upload.Key;
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

    /// <summary>
    /// Deletes every blob <paramref name="named"/> says no kept job names and that was not put within
    /// <paramref name="grace"/>, a page of keys at a time in key order (memory does not grow with the blobs
    /// stored), and the temporary files of this host's uploads a crash cut off; returns how many blobs went.
    /// </summary>
    public int DeleteUnnamed(Func<string, bool> named, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(named);
        _uploads.DeleteAbandoned();
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
