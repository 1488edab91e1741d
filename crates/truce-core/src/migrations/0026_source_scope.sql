-- v26: what part of a scanner a source syncs (`scope`, in the kind's own words: a DefectDojo
-- product, Qualys asset groups, an InsightVM site, Security Center repositories, a Tenable tag);
-- none: all the credentials may see. This laptop's own configuration: never shared.
ALTER TABLE sources ADD COLUMN scope TEXT;
