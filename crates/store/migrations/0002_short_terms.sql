-- Terms of one or two characters, which the trigram index cannot serve:
-- every Chinese, Japanese or Korean character and every pair of
-- neighbouring ones, and every other word as it is, in a unicode61 index
-- with one- and two-character prefix indexes. A two-character query ("华为",
-- "ac") is then an index lookup instead of a scan of every row. Same rowids
-- as search_index; contentless, since search_index holds the text. The
-- migration's hook fills it from search_index.
CREATE VIRTUAL TABLE search_short USING fts5 (
    terms,
    tokenize = 'unicode61',
    prefix = '1 2',
    content = '',
    contentless_delete = 1
);
